//! The HTML report: one self-contained file (inline CSS and SVG, no scripts, no network).
//!
//! Takes a [`Summary`]; gives the page: headline numbers, a per-split table, lengths per model
//! tokenizer, charts (token
//! histogram, formats, prompt origins, examples per template), rejected and over-limit tables, and a
//! browsable sample of examples (brief and the first lines of code). Numbers carry `data-stat`
//! attributes so tests can check them against `stats.json`.

use std::fmt::Write;

use super::{charts, over_heads, percentile, total, trainer_defaults, Summary};
use crate::split::Split;
use crate::text::{escape, thousands, CSS};
use crate::tokens::lengths::{TokenizerLengths, LENGTHS};

/// Templates shown individually in the per-template chart; the rest are summed as "others".
const TEMPLATE_BARS: usize = 30;

/// The report as one self-contained page (inline CSS and SVG, no scripts), section by section in
/// the order it is read.
pub fn render(s: &Summary) -> Result<String, String> {
    let mut h = String::with_capacity(64 * 1024);
    let w = &mut h;
    head(w, s);
    cards(w, s);
    splits(w, s);
    charts(w, s)?;
    set_aside(w, s);
    durations(w, s);
    copies(w, s);
    prompts_not_used(w, s);
    table(
        w,
        "Templates without code",
        "missing",
        &["template", "dbId"],
        s.stats
            .missing_templates
            .iter()
            .map(|m| vec![m.template_id.clone(), m.db_id.clone().unwrap_or_default()]),
    );
    contact_sheet(w, s);
    samples(w, s);
    let _ = writeln!(
        w,
        "<footer>template-sft {}</footer></main></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    Ok(h)
}

/// The page's head and its header: the tag, the folder, when, the seed, the split mode, the model.
fn head(w: &mut String, s: &Summary) {
    let st = &s.stats;
    let _ = write!(
        w,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Dataset report: {tag}</title><style>{CSS}</style></head><body><main>\
         <header><h1>Dataset report <span class=\"tag\">{tag}</span></h1>\
         <p class=\"sub\">{dir} · built {built} · seed {seed} · {mode} split · {model}</p></header>",
        tag = escape(&st.tag),
        dir = escape(&s.dir),
        built = escape(&st.generated_at),
        seed = st.seed,
        mode = st.split_mode.name(),
        model = escape(&st.tokens.budget.model),
    );
}

/// The headline numbers.
fn cards(w: &mut String, s: &Summary) {
    let st = &s.stats;
    let cards = [
        (
            "examples",
            thousands(s.total_examples() as u64),
            "all-examples",
        ),
        (
            "templates covered",
            format!("{} / {}", s.per_template.len(), st.templates_processed),
            "templates-covered",
        ),
        (
            "tokens",
            thousands(
                s.splits
                    .iter()
                    .map(|x| total(&x.tokens))
                    .fold(0, u64::saturating_add),
            ),
            "all-tokens",
        ),
        (
            "trained tokens (est.)",
            thousands(st.tokens.trained_estimate.trained_tokens),
            "trained-tokens",
        ),
        (
            "rejected templates",
            st.sanitizer_failures.len().to_string(),
            "rejected",
        ),
    ];
    let _ = write!(w, "<section class=\"cards\">");
    for (label, value, stat) in cards {
        let _ = write!(w, "<div class=\"card\"><div class=\"value\" data-stat=\"{stat}\">{value}</div><div class=\"label\">{label}</div></div>");
    }
    let _ = write!(w, "</section>");
}

/// Examples, templates and tokens per split, then lengths under each model tokenizer.
fn splits(w: &mut String, s: &Summary) {
    let _ = write!(
        w,
        "<section><h2>Splits</h2><table class=\"num\"><thead><tr><th>split</th><th>examples</th><th>templates</th>\
         <th>tokens</th><th>assistant tokens</th><th>median</th><th>p90</th><th>max</th></tr></thead><tbody>"
    );
    for (i, split) in Split::ALL.iter().enumerate() {
        let sp = &s.splits[i];
        let name = split.name();
        let _ = write!(
            w,
            "<tr><td><span class=\"dot\" style=\"background:{color}\"></span>{name}</td><td data-stat=\"{name}-examples\">{}</td>\
             <td data-stat=\"{name}-templates\">{}</td><td data-stat=\"{name}-tokens\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            sp.examples,
            sp.templates,
            thousands(total(&sp.tokens)),
            thousands(sp.assistant_tokens),
            percentile(&sp.tokens, 50),
            percentile(&sp.tokens, 90),
            sp.tokens.iter().max().copied().unwrap_or(0),
            color = hex(charts::SPLIT_COLORS[i]),
        );
    }
    let _ = write!(w, "</tbody></table></section>");
    for l in &s.lengths {
        lengths(w, l);
    }
}

/// Tokens per example by split; examples per format, prompt origin and template.
fn charts(w: &mut String, s: &Summary) -> Result<(), String> {
    let token_chart = charts::token_histogram(&[
        ("train", &s.splits[0].tokens),
        ("validation", &s.splits[1].tokens),
        ("test", &s.splits[2].tokens),
    ])?;
    let formats: Vec<(String, usize)> = s
        .formats
        .iter()
        .map(|(k, v)| (k.name().to_string(), *v))
        .collect();
    let origins: Vec<(String, usize)> = s
        .origins
        .iter()
        .map(|(k, v)| (k.name().to_string(), *v))
        .collect();
    let mut per_template: Vec<(String, usize)> = s
        .per_template
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    per_template.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if per_template.len() > TEMPLATE_BARS {
        let others: usize = per_template[TEMPLATE_BARS..].iter().map(|x| x.1).sum();
        let n = per_template.len() - TEMPLATE_BARS;
        per_template.truncate(TEMPLATE_BARS);
        per_template.push((format!("{n} other templates"), others));
    }
    let _ = write!(
        w,
        "<section><h2>Charts</h2><div class=\"grid\">\
         <figure id=\"chart-tokens\" class=\"wide\">{}</figure>\
         <figure id=\"chart-formats\">{}</figure>\
         <figure id=\"chart-origins\">{}</figure>\
         <figure id=\"chart-templates\" class=\"wide\">{}</figure></div></section>",
        token_chart,
        charts::bars("Examples per format", &formats, 420)?,
        charts::bars("Examples per prompt origin", &origins, 420)?,
        charts::bars("Examples per template", &per_template, 760)?,
    );
    Ok(())
}

/// What the build set aside: rejected templates and examples over the token limit.
fn set_aside(w: &mut String, s: &Summary) {
    let st = &s.stats;
    table(
        w,
        "Rejected templates",
        "rejected",
        &["template", "source", "rule", "why"],
        st.sanitizer_failures.iter().map(|r| {
            vec![
                r.template_id.clone(),
                r.source_key.clone(),
                r.rule.to_string(),
                r.message.clone(),
            ]
        }),
    );
    table(
        w,
        "Examples over the token limit",
        "over-limit",
        &["template", "variant", "format", "tokens", "limit"],
        st.over_limit_examples.iter().map(|o| {
            vec![
                o.template_id.clone(),
                o.prompt_variant.clone(),
                o.format.to_string(),
                o.tokens.to_string(),
                o.limit.to_string(),
            ]
        }),
    );
}

/// Where the briefs' durations came from, the render check, and the durations the code does not agree with or does not determine.
fn durations(w: &mut String, s: &Summary) {
    let st = &s.stats;
    let d = &st.durations;
    let _ = write!(
        w,
        "<section id=\"durations\"><h2>Durations</h2><p>Briefs state the duration from the code for \
         <b data-stat=\"durations-from-code\">{}</b> templates, from the catalog for <b data-stat=\"durations-from-catalog\">{}</b>, \
         the default for <b>{}</b> (<code>video.duration_source = \"{}\"</code>, export <code>{}</code>; {} export no duration).</p></section>",
        d.from_code,
        d.from_catalog,
        d.from_default,
        d.source.name(),
        escape(&d.export),
        crate::error::count(d.without_export, "template")
    );
    if let Some(r) = &st.render {
        let verdicts: Vec<String> = r
            .verdicts
            .iter()
            .map(|(v, n)| format!("{n} {}", v.name()))
            .collect();
        let _ = write!(
            w,
            "<section id=\"render\"><h2>Render check</h2><p><b data-stat=\"render-scenes\">{}</b> scenes, \
             <b>{}</b> renders ({} from the cache) in {:.1} s: {}; <b data-stat=\"render-rejected\">{}</b> rejected \
             (listed with the gate's rejections); {} remote image URLs replaced by a placeholder. Frames: {}, kit {}.</p></section>",
            r.scenes,
            r.renders,
            r.cached,
            r.seconds,
            verdicts.join(", "),
            r.rejected,
            r.replaced_urls,
            escape(&r.frames),
            escape(&r.kit)
        );
    }
    table(
        w,
        "Catalog durations the code does not have",
        "duration-mismatches",
        &[
            "template",
            "code",
            "catalog frames",
            "code frames",
            "export at",
        ],
        d.mismatches.iter().map(|m| {
            vec![
                m.template_id.clone(),
                m.file.clone().unwrap_or_else(|| m.source_key.clone()),
                m.catalog_frames.to_string(),
                m.code_frames.to_string(),
                m.at.clone(),
            ]
        }),
    );
    table(
        w,
        "Durations not determinable from the code",
        "durations-not-determinable",
        &["template", "code", "at", "why"],
        d.not_determinable.iter().map(|n| {
            vec![
                n.template_id.clone(),
                n.file.clone().unwrap_or_else(|| n.source_key.clone()),
                n.at.clone(),
                n.reason.clone(),
            ]
        }),
    );
}

/// Near-copy clusters (each kept in one split) and duplicate examples (written once).
fn copies(w: &mut String, s: &Summary) {
    let st = &s.stats;
    table(
        w,
        &format!(
            "Near-copy clusters (similarity {} or more, each in one split)",
            st.near_copies.threshold
        ),
        "near-copies",
        &["templates", "similarity", "split"],
        st.near_copies.clusters.iter().map(|c| {
            vec![
                if c.templates.len() > 20 {
                    format!(
                        "{}, … ({} templates)",
                        c.templates[..20].join(", "),
                        c.templates.len()
                    )
                } else {
                    c.templates.join(", ")
                },
                c.similarity.to_string(),
                if c.too_large {
                    format!("{} (too large for a held-out split)", c.split.name())
                } else {
                    c.split.name().to_string()
                },
            ]
        }),
    );
    table(
        w,
        "Duplicate examples (written once)",
        "duplicates",
        &["template", "variant", "format", "identical to"],
        st.duplicate_examples.iter().map(|d| {
            vec![
                d.template_id.clone(),
                d.prompt_variant.clone(),
                d.format.to_string(),
                d.duplicate_of.to_string(),
            ]
        }),
    );
}

/// Every prompt not used, and why: the prompt problems build warns about.
fn prompts_not_used(w: &mut String, s: &Summary) {
    let st = &s.stats;
    let p = &st.prompts;
    let malformed = p
        .curated_files
        .iter()
        .chain(&p.generated_files)
        .filter(|f| f.malformed > 0)
        .map(|f| {
            vec![
                "malformed".to_string(),
                String::new(),
                f.path.clone(),
                format!(
                    "{} skipped (build warns at each line)",
                    crate::error::count(f.malformed, "line")
                ),
            ]
        });
    let unmatched = p.unmatched_prompts.iter().map(|u| {
        vec![
            "unmatched".to_string(),
            u.target.clone(),
            u.first_at.clone(),
            format!("{}: {}", crate::error::count(u.prompts, "prompt"), u.reason),
        ]
    });
    let gated = st.briefs.gated_prompts.iter().map(|g| {
        vec![
            "format not supported".to_string(),
            g.template_id.clone(),
            g.at.clone(),
            format!("asks for {}", g.format),
        ]
    });
    let duplicates = p.duplicate_prompts.iter().map(|d| {
        vec![
            "duplicate".to_string(),
            d.template_id.clone(),
            d.at.clone(),
            format!("repeats {}", d.first),
        ]
    });
    let rows: Vec<Vec<String>> = malformed
        .chain(unmatched)
        .chain(gated)
        .chain(duplicates)
        .collect();
    table(
        w,
        "Prompts not used",
        "prompt-problems",
        &["problem", "template", "at", "detail"],
        rows.into_iter(),
    );
}

/// The frames the render check kept ([render] keep_frames), one strip per scene and format.
fn contact_sheet(w: &mut String, s: &Summary) {
    if !s.contact_sheet.is_empty() || s.contact_sheet_left_out > 0 {
        let _ = write!(
            w,
            "<section id=\"contact-sheet\"><h2>Contact sheet <span class=\"count\">{}</span></h2>\
             <p class=\"sub\">Frames of each scene and format as the render check drew them ([render] keep_frames).</p>",
            s.contact_sheet.len()
        );
        for (scene, images) in &s.contact_sheet {
            let _ = write!(
                w,
                "<div class=\"strip\"><span class=\"count\" style=\"width:260px\">{}</span>",
                escape(scene)
            );
            for src in images {
                let _ = write!(
                    w,
                    "<img alt=\"{} frame\" src=\"{}\">",
                    escape(scene),
                    escape(src)
                );
            }
            let _ = write!(w, "</div>");
        }
        if s.contact_sheet_left_out > 0 {
            let _ = write!(
                w,
                "<p class=\"sub\">{} files of frames/ not shown: not a PNG named template-format-n.png, over 1 MiB, or past the first 5,000.</p>",
                s.contact_sheet_left_out
            );
        }
        let _ = write!(w, "</section>");
    }
}

/// A browsable sample of examples: the brief and the first lines of the code.
fn samples(w: &mut String, s: &Summary) {
    let _ = write!(w, "<section id=\"samples\"><h2>Sample examples</h2>");
    for sample in &s.samples {
        let tokens = format!(" · {} tokens", sample.tokens);
        let more = sample
            .code_lines
            .saturating_sub(sample.code_head.lines().count());
        let more = if more > 0 {
            format!("\n… {more} more lines")
        } else {
            String::new()
        };
        let _ = write!(
            w,
            "<details class=\"sample\"><summary><span class=\"pill {split}\">{split}</span> <b>{id}</b> · {variant} · {format}{tokens}</summary>\
             <p class=\"brief\">{brief}</p><pre><code>{code}{more}</code></pre></details>",
            split = sample.split.name(),
            id = escape(&sample.template_id),
            variant = escape(&sample.variant),
            format = escape(&sample.format),
            brief = escape(&sample.brief).replace('\n', "<br>"),
            code = escape(&sample.code_head),
        );
    }
    let _ = write!(w, "</section>");
}

/// A titled table of text cells (escaped here), or "None." when there are no rows.
/// Lengths per split under one model tokenizer, and what each trainer's default would do.
fn lengths(w: &mut String, l: &TokenizerLengths) {
    let name = escape(&l.name);
    let _ = write!(
        w,
        "<section class=\"lengths\"><h2>Lengths under {name}</h2><p class=\"sub\">Rendered chat template, {}</p>\
         <table class=\"num\"><thead><tr><th>split</th><th>examples</th><th>median</th><th>p90</th><th>max</th>",
        escape(&l.file)
    );
    for head in over_heads() {
        let _ = write!(w, "<th>{}</th>", escape(&head));
    }
    let _ = write!(w, "<th>holds all</th></tr></thead><tbody>");
    for (split, stats) in Split::ALL
        .iter()
        .map(|&s| (s.name(), l.of(s)))
        .chain([("all", &l.overall)])
    {
        let t = &stats.tokens;
        let _ = write!(
            w,
            "<tr><td>{split}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            t.examples, t.median, t.p90, t.max
        );
        for length in LENGTHS {
            let _ = write!(w, "<td>{}</td>", stats.over(length).unwrap_or(0));
        }
        let _ = write!(
            w,
            "<td data-stat=\"{name}-{split}-recommended\">{}</td></tr>",
            stats.recommended_max_length
        );
    }
    let _ = write!(
        w,
        "</tbody></table><p>Trainer defaults: {}</p></section>",
        escape(&trainer_defaults(l))
    );
}

fn table(
    w: &mut String,
    title: &str,
    id: &str,
    headers: &[&str],
    rows: impl ExactSizeIterator<Item = Vec<String>>,
) {
    let _ = write!(
        w,
        "<section id=\"{id}\"><h2>{title} <span class=\"count\">{}</span></h2>",
        rows.len()
    );
    if rows.len() == 0 {
        let _ = write!(w, "<p class=\"none\">None.</p></section>");
        return;
    }
    let _ = write!(w, "<table><thead><tr>");
    for label in headers {
        let _ = write!(w, "<th>{label}</th>");
    }
    let _ = write!(w, "</tr></thead><tbody>");
    let total = rows.len();
    for row in rows.take(TABLE_ROWS) {
        let _ = write!(w, "<tr>");
        for cell in row {
            let _ = write!(w, "<td>{}</td>", escape(&cell));
        }
        let _ = write!(w, "</tr>");
    }
    let _ = write!(w, "</tbody></table>");
    if total > TABLE_ROWS {
        let _ = write!(
            w,
            "<p class=\"more\">… and {} more rows: every one is in <code>stats.json</code>.</p>",
            thousands((total - TABLE_ROWS) as u64)
        );
    }
    let _ = write!(w, "</section>");
}

/// Rows a table of the page shows: a page for a catalog of 100,000 templates stays one a browser
/// opens.
const TABLE_ROWS: usize = 500;

fn hex(c: plotters::style::RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}
