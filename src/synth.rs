//! A synthetic project for benchmarks and scale tests.
//!
//! Takes a template count, a seed and sizes; writes a complete project: `template-sft.toml`, the
//! catalog in every supported form (`catalog.json`, `catalog.jsonl`, `catalog.ts`), one TSX scene per
//! template (1–25 KB, median about 8 KB, varied enough not to compress to nothing, and valid under the
//! quality gate), curated prompts in both shapes (about `prompts` per template), and the files to load
//! the code into PostgreSQL (`pg/schema.sql`, `pg/templates.copy` for `\copy`). Everything is a pure
//! function of the seed.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::Path;

use crate::error::{Error, Result};
use crate::rng::Rng;

const WORDS: [&str; 32] = [
    "orbit", "pulse", "wave", "glow", "stack", "grid", "ribbon", "spark", "frame", "panel",
    "badge", "ticker", "headline", "chart", "timeline", "counter", "card", "slide", "beam", "tile",
    "marker", "halo", "banner", "caption", "stripe", "prism", "bloom", "drift", "shift", "split",
    "fold", "zoom",
];
const COLORS: [&str; 12] = [
    "#0f172a", "#1e293b", "#f97316", "#22d3ee", "#a855f7", "#facc15", "#10b981", "#ef4444",
    "#3b82f6", "#e11d48", "#84cc16", "#f8fafc",
];
const FORMATS: [&[&str]; 6] = [
    &["landscape"],
    &["portrait"],
    &["square"],
    &["landscape", "square"],
    &["portrait", "square"],
    &["landscape", "portrait", "square"],
];

fn name(rng: &mut Rng) -> String {
    let a = rng.pick(&WORDS);
    let b = rng.pick(&WORDS);
    let mut chars = a.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or('X');
    format!(
        "{first}{}{}{}",
        chars.as_str(),
        b[..1].to_ascii_uppercase(),
        &b[1..]
    )
}

/// One helper component of roughly 600–900 bytes.
fn helper(rng: &mut Rng, component: &str) -> String {
    let mut s = String::new();
    let start = rng.below(60);
    let end = start + 10 + rng.below(80);
    let _ = write!(
        s,
        "function {component}({{ delay = {d}, label = \"{label} {n}\" }}: {{ delay?: number; label?: string }}) {{\n\
         \x20 const frame = useCurrentFrame();\n\
         \x20 const {{ fps }} = useVideoConfig();\n\
         \x20 const enter = spring({{ frame: frame - delay, fps, config: {{ damping: {damp}, mass: {mass}.{m2} }} }});\n\
         \x20 const opacity = interpolate(frame, [{start}, {end}], [0, 1], {{ extrapolateLeft: \"clamp\", extrapolateRight: \"clamp\" }});\n\
         \x20 const offset = interpolate(enter, [0, 1], [{off}, 0]);\n\
         \x20 return (\n\
         \x20   <div style={{{{ position: \"absolute\", left: {x}, top: {y}, opacity, transform: `translateY(${{offset}}px) rotate(${{(1 - enter) * {rot}}}deg)`, color: \"{c1}\", background: \"{c2}\", padding: {pad}, borderRadius: {rad}, fontSize: {fs} }}}}>\n\
         \x20     {{label}}\n\
         \x20   </div>\n\
         \x20 );\n\
         }}\n\n",
        d = rng.below(40),
        label = rng.pick(&WORDS),
        n = rng.below(1000),
        damp = 8 + rng.below(200),
        mass = rng.below(3),
        m2 = rng.below(10),
        off = 20 + rng.below(200),
        x = rng.below(1600),
        y = rng.below(900),
        rot = rng.below(30),
        c1 = rng.pick(&COLORS),
        c2 = rng.pick(&COLORS),
        pad = 4 + rng.below(40),
        rad = rng.below(64),
        fs = 12 + rng.below(120),
    );
    s
}

/// A scene of about `target` bytes: helpers, then a default-exported composition using them.
pub fn scene(rng: &mut Rng, index: usize, target: usize) -> String {
    let mut code = String::from(
        "const { AbsoluteFill, Sequence, useCurrentFrame, useVideoConfig, interpolate, spring } = window.Remotion;\n\n",
    );
    let mut helpers: Vec<String> = Vec::new();
    // The composition at the end costs ~200 bytes plus ~60 per helper; helpers are ~700–900 bytes.
    let footer = |n: usize| 220 + 60 * n;
    while code.len() + footer(helpers.len() + 1) + 900 < target {
        let component = format!("{}{}", name(rng), helpers.len());
        code.push_str(&helper(rng, &component));
        helpers.push(component);
    }
    // Fill the rest with a word list the scene shows, so sizes land near the target.
    let room = target.saturating_sub(code.len() + footer(helpers.len()));
    if room > 40 {
        code.push_str("const CAPTIONS = [");
        let start = code.len();
        while code.len() - start + 20 < room {
            let _ = write!(code, "\"{} {}\", ", rng.pick(&WORDS), rng.below(10_000));
        }
        code.push_str("];\n\n");
    } else {
        code.push_str("const CAPTIONS = [\"\"];\n\n");
    }
    // Real scenes state their own length, in one of a few shapes.
    let beats = 2 + rng.below(4);
    match rng.below(3) {
        0 => {
            let _ = writeln!(
                code,
                "export const durationInFrames = {};\n",
                60 + 15 * rng.below(20)
            );
        }
        1 => {
            let _ = write!(code, "const script = [");
            for b in 0..beats {
                let _ = write!(
                    code,
                    "{{ beat: \"{}\", frames: {} }}, ",
                    rng.pick(&WORDS),
                    20 + 5 * b + rng.below(40)
                );
            }
            let _ = writeln!(
                code,
                "];\nexport const durationInFrames = script.reduce((sum, beat) => sum + beat.frames, 0);\n"
            );
        }
        _ => {
            let _ = writeln!(
                code,
                "const FPS = 30;\nexport const durationInFrames = Math.round(FPS * {}.{});\n",
                2 + rng.below(8),
                rng.below(10)
            );
        }
    }
    let _ = writeln!(code, "export default function Scene{index}() {{");
    let _ = writeln!(code, "  const frame = useCurrentFrame();");
    let _ = writeln!(
        code,
        "  const hue = Math.round(interpolate(frame, [0, 120], [{}, {}]));",
        rng.below(360),
        rng.below(360)
    );
    let _ = writeln!(
        code,
        "  return (\n    <AbsoluteFill style={{{{ background: `hsl(${{hue}}, 40%, 12%)` }}}}>"
    );
    for (i, h) in helpers.iter().enumerate() {
        let _ = writeln!(
            code,
            "      <Sequence from={{{}}}><{h} delay={{{}}} /></Sequence>",
            i * 5,
            rng.below(30)
        );
    }
    let _ = writeln!(code, "      <div style={{{{ position: \"absolute\", bottom: 40, left: 40, color: \"white\" }}}}>{{CAPTIONS[frame % CAPTIONS.length]}}</div>");
    let _ = writeln!(code, "    </AbsoluteFill>\n  );\n}}");
    code
}

/// Bytes of the `i`-th scene: log-normal around `median`, clipped to 1–25 KB.
fn scene_size(rng: &mut Rng, median: usize) -> usize {
    // Box-Muller for a standard normal, sigma 0.6 in log space.
    let (u1, u2) = (rng.unit().max(1e-12), rng.unit());
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    ((median as f64) * (0.6 * z).exp()).clamp(1024.0, 25.0 * 1024.0) as usize
}

/// What a synthetic project holds.
pub struct Options {
    /// Catalog entries.
    pub templates: usize,
    /// Curated prompts per template.
    pub prompts_per_template: usize,
    /// The median scene size.
    pub median_code_bytes: usize,
    /// The generator's seed.
    pub seed: u64,
    /// The share of templates (0–1) that are near-copies of an earlier one: a quarter of them
    /// byte-identical with the same prompts, the rest renamed with a few numbers changed.
    pub near_copies: f64,
    /// Templates come in families of this many variants of one scene (other colours, brand words
    /// and a few layout numbers), the way real libraries grow; 0 or 1: no families.
    pub family_size: usize,
}

/// A near-copy of `code`: the component renamed, a few numbers changed.
fn derive(rng: &mut Rng, code: &str, index: usize) -> String {
    let mut out = String::with_capacity(code.len());
    let mut changed = 0;
    let mut rest = code;
    // Change the first few numbers of four or more digits' worth of layout: re-dimensioned twins.
    while let Some(at) = rest.find(|c: char| c.is_ascii_digit()) {
        let end = at
            + rest[at..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - at);
        out.push_str(&rest[..at]);
        if changed < 6 && rng.below(3) == 0 {
            let _ = write!(out, "{}", rng.below(2000));
            changed += 1;
        } else {
            out.push_str(&rest[at..end]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    let name_start = out.find("export default function Scene").map(|i| i + 29);
    if let Some(start) = name_start {
        let end = start + out[start..].find('(').unwrap_or(0);
        out.replace_range(start..end, &format!("{index}Twin"));
    }
    out
}

/// A variant of a family's first scene: about half of its colours swapped, a brand word and a few
/// layout numbers changed, the component renamed. Variants of one scene are near-identical to it
/// (estimated similarity 0.6–0.95), which is what makes a family one near-copy cluster.
fn variant(rng: &mut Rng, base: &str, index: usize) -> String {
    let mut code = String::with_capacity(base.len() + 64);
    let mut rest = base;
    let mut numbers = 0;
    while let Some(at) = rest.find(|c: char| c == '#' || c.is_ascii_digit()) {
        code.push_str(&rest[..at]);
        rest = &rest[at..];
        if rest.starts_with('#')
            && rest.len() >= 7
            && rest[1..7].bytes().all(|b| b.is_ascii_hexdigit())
        {
            code.push_str(if rng.below(2) == 0 {
                rng.pick(&COLORS)
            } else {
                &rest[..7]
            });
            rest = &rest[7..];
            continue;
        }
        let end = rest
            .find(|c: char| !(c == '#' || c.is_ascii_digit()))
            .unwrap_or(rest.len());
        if numbers < 4 && rng.below(8) == 0 {
            let _ = write!(code, "{}", rng.below(2000));
            numbers += 1;
        } else {
            code.push_str(&rest[..end]);
        }
        rest = &rest[end..];
    }
    code.push_str(rest);
    let brand = rng.pick(&WORDS);
    let code = code.replacen("label = \"", &format!("label = \"{brand} "), 1);
    match code.find("export default function Scene") {
        Some(start) => {
            let start = start + 29;
            let end = start + code[start..].find('(').unwrap_or(0);
            format!("{}{index}Variant{}", &code[..start], &code[end..])
        }
        None => code,
    }
}

/// Write the project into `dir` (created; must not exist or be empty).
pub fn write_project(dir: &Path, options: &Options) -> Result<()> {
    let write = |rel: &str, bytes: &[u8]| -> Result<()> {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::write(parent, e))?;
        }
        fs::write(&path, bytes).map_err(|e| Error::write(&path, e))
    };
    let mut rng = Rng::new(options.seed);
    let mut json = String::from("[\n");
    let mut jsonl = String::new();
    let mut ts = String::from("import type { CanonicalTemplate } from \"./types\";\n\nexport const dbCanonicalTemplates: CanonicalTemplate[] = [\n");
    let mut shape_a = String::new();
    let mut shape_b = String::new();
    let mut copy = Vec::new();
    // Codes and prompts written so far, for near-copies of an earlier template.
    let mut codes: Vec<String> = Vec::new();
    // The first scene of the current family (families of `family_size`).
    let mut family_base = String::new();
    let mut prompt_texts: Vec<Vec<String>> = Vec::new();
    for i in 0..options.templates {
        let id = format!("{}-{}-{i}", rng.pick(&WORDS), rng.pick(&WORDS));
        let db_id = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            rng.next_u64() as u32,
            rng.below(1 << 16),
            rng.below(1 << 12),
            rng.below(1 << 12),
            rng.next_u64() & 0xffff_ffff_ffff
        );
        let formats = FORMATS[rng.below(6) as usize];
        let duration = 60 + 15 * rng.below(20);
        let w1 = rng.pick(&WORDS);
        let w2 = rng.pick(&WORDS);
        let entry = serde_json::json!({
            "id": id, "source": {"type": "db", "dbId": db_id}, "name": format!("{w1} {w2} {i}"),
            "duration": duration, "supportedFormats": formats,
            "keywords": [w1, w2], "descriptions": [format!("A {w1} scene with {w2} motion")],
            "userPhrases": [format!("{w1} {w2} animation")], "useCases": ["social post"],
            "styles": ["bold"], "animations": ["spring"], "elements": [format!("a {w2}")], "colors": ["navy"],
            "primaryUse": format!("Animated {w1} with {w2}"),
        });
        let _ = writeln!(
            json,
            "  {entry}{}",
            if i + 1 < options.templates { "," } else { "" }
        );
        let _ = writeln!(jsonl, "{entry}");
        let _ = writeln!(ts, "  {entry},");
        let size = scene_size(&mut rng, options.median_code_bytes);
        let mut code = scene(&mut rng, i, size);
        if options.family_size > 1 {
            if i % options.family_size == 0 {
                family_base = code.clone();
            } else {
                code = variant(&mut rng, &family_base, i);
            }
        }
        // Draws only when asked for, so a project without near-copies is what it always was.
        let mut cloned_prompts = None;
        if options.near_copies > 0.0 && i > 0 && rng.unit() < options.near_copies {
            // An earlier template nearby: families stay small, like twins in a real catalog.
            let j = i - 1 - rng.below(i.min(20) as u64) as usize;
            if rng.below(4) == 0 {
                code = codes[j].clone();
                cloned_prompts = Some(prompt_texts[j].clone());
            } else {
                code = derive(&mut rng, &codes[j], i);
            }
        }
        write(&format!("templates/{id}.tsx"), code.as_bytes())?;
        // COPY text format: tab-separated, backslash escapes.
        let escaped = code
            .replace('\\', "\\\\")
            .replace('\t', "\\t")
            .replace('\n', "\\n")
            .replace('\r', "\\r");
        let _ = writeln!(copy, "{db_id}\t{escaped}");
        let mut prompts = Vec::new();
        for p in 0..options.prompts_per_template {
            let hint = if rng.below(4) == 0 {
                format!("format:{} ", formats[0])
            } else {
                String::new()
            };
            let mut prompt = format!(
                "{hint}{} {} scene number {p} for a {} launch",
                rng.pick(&WORDS),
                rng.pick(&WORDS),
                rng.pick(&WORDS)
            );
            if let Some(same) = cloned_prompts.as_ref().and_then(|c: &Vec<String>| c.get(p)) {
                prompt = same.clone();
            }
            prompts.push(prompt.clone());
            if p % 2 == 0 {
                let _ = writeln!(
                    shape_a,
                    "{}",
                    serde_json::json!({"prompt": prompt, "expected_template_id": id})
                );
            } else {
                let _ = writeln!(
                    shape_b,
                    "{}",
                    serde_json::json!({"messages": [{"role": "system", "content": "Route the request."}, {"role": "user", "content": prompt}, {"role": "assistant", "content": id}]})
                );
            }
        }
        if options.near_copies > 0.0 {
            codes.push(code);
            prompt_texts.push(prompts);
        }
    }
    json.push_str("]\n");
    ts.push_str("];\n");
    write("catalog.json", json.as_bytes())?;
    write("catalog.jsonl", jsonl.as_bytes())?;
    write("catalog.ts", ts.as_bytes())?;
    write("prompts/routing.jsonl", shape_a.as_bytes())?;
    write("prompts/finetune.jsonl", shape_b.as_bytes())?;
    write("pg/templates.copy", &copy)?;
    write(
        "pg/schema.sql",
        b"CREATE TABLE public.\"bazaar-vid_templates\" (id uuid PRIMARY KEY, tsx_code text);\n",
    )?;
    write(
        "template-sft.toml",
        format!(
            "# A synthetic project: {} templates (template-sft synth).\n[catalog]\npath = \"catalog.json\"\n\n[code]\ndir = \"templates\"\n\n[prompts]\ncurated = [\"prompts/routing.jsonl\", \"prompts/finetune.jsonl\"]\nvariants_per_template = {}\n\n[output]\nroot = \"dataset\"\n",
            options.templates,
            options.prompts_per_template.max(1)
        )
        .as_bytes(),
    )?;
    let _ = std::io::stdout().flush();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::{gate, CodeOrigin, FoundCode};
    use crate::config::GateConfig;
    use crate::tokens::Encoding;

    #[test]
    fn scenes_pass_the_quality_gate_and_vary_in_size() {
        let mut rng = Rng::new(1);
        let mut sizes = Vec::new();
        for i in 0..40 {
            let target = scene_size(&mut rng, 8 * 1024);
            let code = scene(&mut rng, i, target);
            sizes.push(code.len());
            let found = FoundCode::bytes(code.into_bytes(), CodeOrigin::store("k"));
            gate::Gate::new(&GateConfig::default(), Encoding::O200k)
                .run("t", found)
                .unwrap();
        }
        sizes.sort();
        let median = sizes[sizes.len() / 2];
        assert!((5_000..12_000).contains(&median), "median {median}");
        assert!(
            sizes[0] >= 1000 && *sizes.last().unwrap() <= 26 * 1024,
            "{sizes:?}"
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_project() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let options = Options {
            templates: 5,
            prompts_per_template: 4,
            median_code_bytes: 4096,
            seed: 3,
            near_copies: 0.0,
            family_size: 0,
        };
        write_project(a.path(), &options).unwrap();
        write_project(b.path(), &options).unwrap();
        for f in [
            "catalog.json",
            "catalog.ts",
            "prompts/routing.jsonl",
            "pg/templates.copy",
        ] {
            assert_eq!(
                fs::read(a.path().join(f)).unwrap(),
                fs::read(b.path().join(f)).unwrap(),
                "{f}"
            );
        }
    }
}
