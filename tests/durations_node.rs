//! Durations against a real engine: every program of a corpus of several hundred (the unit tests'
//! cases, the shapes a static evaluator got wrong, and generated ones: arithmetic and rounding,
//! script arrays, mutation, scoping and TDZ, closures, getters, spreads, loops, types and JSX,
//! stubs and imports, random numbers) is evaluated by template-sft and by Node (the TSX transpiled
//! by TypeScript's own compiler, run with the same inert stubs: `scripts/durations-node/run.mjs`). A duration
//! template-sft states must be the one Node computes; "not determinable" is never a
//! contradiction, and the test prints how many of each, with the reasons.

use crate::support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use template_sft::internals::code::duration::{evaluate, CodeDuration, DurationExport};
use template_sft::internals::location::LineIndex;
use template_sft::internals::rng::Rng;

/// The reference's folder: `npm ci` of the pinned TypeScript compiler, once, under `~/.cache/template-sft`.
fn reference() -> PathBuf {
    let source = support::repo_root().join("scripts/durations-node");
    let lock = std::fs::read(source.join("package-lock.json")).unwrap();
    let key = &template_sft::internals::digest::sha256_hex(&lock)[..16];
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap();
    let dir = home.join(format!(".cache/template-sft/durations-node-{key}"));
    if !dir.join("node_modules/typescript/package.json").is_file() {
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["package.json", "package-lock.json"] {
            std::fs::copy(source.join(f), dir.join(f)).unwrap();
        }
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
            .current_dir(&dir)
            .output()
            .expect("npm (Debian's npm, which scripts/test.sh installs)");
        assert!(
            out.status.success(),
            "npm ci failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::copy(source.join("run.mjs"), dir.join("run.mjs")).unwrap();
    dir
}

/// What template-sft says of `code`.
fn ours(code: &str, pattern: &str) -> CodeDuration {
    let allocator = oxc_allocator::Allocator::default();
    let parsed = oxc_parser::Parser::new(&allocator, code, oxc_span::SourceType::tsx()).parse();
    assert!(
        parsed.diagnostics.errors().next().is_none(),
        "a corpus program does not parse:\n{code}"
    );
    evaluate(
        &parsed.program,
        code,
        &LineIndex::new(code),
        &DurationExport::new(pattern),
    )
}

/// Programs whose shape a case list states, each with the pattern its duration export matches.
fn corpus() -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    let mut add = |code: String| out.push((code, "durationInFrames"));
    for code in FIXED {
        add(code.to_string());
    }
    let mut rng = Rng::new(20_261_130);
    // Arithmetic, rounding and Math, over integers and fractions.
    let ops = ["+", "-", "*", "/", "%", "**"];
    let maths = ["round", "floor", "ceil", "trunc", "abs"];
    for _ in 0..90 {
        let mut expr = format!("{}", 1 + rng.below(200));
        for _ in 0..(1 + rng.below(4)) {
            let op = rng.pick(&ops);
            let operand = if op == "**" {
                format!("{}", rng.below(3))
            } else if rng.below(3) == 0 {
                format!("{}.{}", rng.below(20), rng.below(100))
            } else {
                format!("{}", 1 + rng.below(60))
            };
            expr = format!("({expr} {op} {operand})");
            if rng.below(3) == 0 {
                expr = format!("Math.{}({expr})", rng.pick(&maths));
            }
        }
        if rng.below(2) == 0 {
            expr = format!("Math.max(30, Math.round({expr}))");
        }
        add(format!(
            "const FPS = 30;\nexport const durationInFrames = {expr};"
        ));
    }
    // Rounding at the edges of floating point.
    for x in [
        "0.49999999999999994",
        "2.5",
        "-2.5",
        "2.4999999999999996",
        "1e21 + 1",
        "Number.MAX_SAFE_INTEGER",
        "4294967295.5",
        "4294967296",
        "0.1 + 0.2 * 300",
        "(0.1 + 0.2) * 300",
    ] {
        add(format!("export const durationInFrames = Math.round({x});"));
        add(format!(
            "export const durationInFrames = Math.ceil({x}) + 1;"
        ));
    }
    // Script arrays: reduce, map, filter, loops.
    for i in 0..60 {
        let beats: Vec<String> = (0..(1 + rng.below(5)))
            .map(|b| {
                format!(
                    "{{ beat: \"b{b}\", frames: {}, skip: {} }}",
                    5 + rng.below(90),
                    rng.below(4) == 0
                )
            })
            .collect();
        let script = format!("const script = [{}];\n", beats.join(", "));
        let total = match i % 6 {
            0 => "export const durationInFrames = script.reduce((sum, b) => sum + b.frames, 0);".to_string(),
            1 => "export const durationInFrames = script.filter((b) => !b.skip).map((b) => b.frames).reduce((a, b) => a + b, 30);".to_string(),
            2 => "let total = 0;\nfor (const b of script) { total += b.frames; }\nexport const durationInFrames = total;".to_string(),
            3 => "let total = 0;\nfor (let i = 0; i < script.length; i++) { if (script[i].skip) continue; total += script[i].frames * 2; }\nexport const durationInFrames = total || 1;".to_string(),
            4 => "let total = 0, i = 0;\nwhile (i < script.length) total += script[i++].frames;\nexport const durationInFrames = Math.round(total * 1.5);".to_string(),
            _ => "const totals = script.map(({ frames }) => frames);\nexport const durationInFrames = Math.max(...totals) + totals.length;".to_string(),
        };
        add(format!("{script}{total}"));
    }
    // Mutation after declaration, directly and through aliases, functions and library calls.
    let mutations = [
        "script.push({ frames: 30 });",
        "script.splice(0, 1);",
        "script[0].frames = 99;",
        "script.forEach((b) => { b.frames += 5; });",
        "for (const b of script) b.frames *= 2;",
        "const first = script[0]; first.frames = 1;",
        "const alias = script; alias.push({ frames: 7 });",
        "function grow() { script.push({ frames: 11 }); }\ngrow();",
        "Object.assign(script[0], { frames: 45 });",
        "Object.defineProperty(script[0], 'frames', { value: 3 });",
        "script.reverse();",
        "script.length = 1;",
        "delete script[0].frames;",
        "script.sort((a, b) => b.frames - a.frames);",
    ];
    for (i, m) in mutations.iter().enumerate() {
        for order in 0..2 {
            let script = format!(
                "const script = [{{ frames: {} }}, {{ frames: {} }}];\n",
                10 + i,
                20 + 3 * i
            );
            let export = "export const durationInFrames = script.reduce((s, b) => s + (b.frames ?? 0), 0) || 1;";
            add(if order == 0 {
                format!("{script}{m}\n{export}")
            } else {
                format!("{script}{export}\n{m}")
            });
        }
    }
    // Scoping: shadowing, closures, IIFEs, blocks, TDZ, hoisting.
    let scoping = [
        "const t = 10;\nconst TRANSITION = t * 2;\nexport const durationInFrames = [90, 120, 60].reduce((total, t) => total + t + TRANSITION, 0);",
        "const x = 5;\nfunction f(x: number) { return x * 3; }\nexport const durationInFrames = f(20) + x;",
        "const make = (n: number) => () => n * 30;\nexport const durationInFrames = make(4)();",
        "export const durationInFrames = (() => { const a = 40; return a * 2; })();",
        "let n = 1;\n{ let n = 50; }\nexport const durationInFrames = n * 30;",
        "export const durationInFrames = BASE * 2;\nconst BASE = 60;",
        "export const durationInFrames = base * 2;\nvar base = 60;",
        "export const durationInFrames = twice(45);\nfunction twice(x: number) { return x * 2; }",
        "const counter = { n: 0, inc() { return ++this.n; } };\ncounter.inc(); counter.inc();\nexport const durationInFrames = counter.n * 45;",
        "const Math = { round: (x: number) => x * 2 };\nexport const durationInFrames = Math.round(45);",
        "const parseInt = (s: string) => 7;\nexport const durationInFrames = parseInt('90');",
        "export const durationInFrames = parseInt('90px', 10) + Number('30');",
        "const fps = 30;\nconst seconds = { intro: 2, outro: 1.5 };\nexport const durationInFrames = Object.values(seconds).reduce((a, s) => a + s * fps, 0);",
        "try { throw new Error('x'); } catch { }\nexport const durationInFrames = 90;",
        "let d = 90;\ntry { d = (undefined as any).x; } catch { d = 60; }\nexport const durationInFrames = d;",
        "label: for (const a of [1, 2]) { for (const b of [3]) { if (a === 2) break label; } }\nexport const durationInFrames = 75;",
        "export let durationInFrames = 90;\ndurationInFrames += 30;",
        "export var durationInFrames = 10;\nfor (let i = 0; i < 5; i++) durationInFrames *= 2;",
        "const total = 90;\nexport { total as durationInFrames };",
        "const a = 1, b = 2;\nexport const durationInFrames = a > b ? 30 : 60;",
        "export const durationInFrames = [1, 2, 3].includes(2) ? 45 : 1;",
        "export const durationInFrames = `${3 * 30}`.length * 30;",
        "const m = new Map([['a', 30], ['b', 60]]);\nexport const durationInFrames = [...m.values()].reduce((x, y) => x + y);",
        "const s = new Set([30, 30, 60]);\nexport const durationInFrames = [...s].length * 45;",
        "export const durationInFrames = JSON.parse('{\"f\": 150}').f;",
        "export const durationInFrames = 'abc'.repeat(30).length;",
        "const re = /(\\d+)f/;\nexport const durationInFrames = Number(re.exec('x 120f')![1]);",
        "class Scene { static frames = 3 * 40; }\nexport const durationInFrames = Scene.frames;",
        "class Beat { constructor(public frames: number) {} }\nexport const durationInFrames = [new Beat(20), new Beat(40)].reduce((a, b) => a + b.frames, 0);",
        "function* beats() { yield 30; yield 45; }\nexport const durationInFrames = [...beats()].reduce((a, b) => a + b, 0);",
    ];
    for code in scoping {
        add(code.to_string());
    }
    // Getters, spreads, destructuring, objects.
    for i in 0..25 {
        let a = 10 + rng.below(90);
        let b = 1 + rng.below(9);
        add(match i % 5 {
            0 => format!("const scene = {{ get length() {{ return {a} * {b}; }} }};\nexport const durationInFrames = scene.length;"),
            1 => format!("const base = {{ intro: {a}, hold: {b} }};\nconst more = {{ ...base, hold: {} }};\nexport const durationInFrames = more.intro + more.hold;", b * 10),
            2 => format!("const {{ intro, hold = {b} }} = {{ intro: {a} }};\nexport const durationInFrames = intro + hold;"),
            3 => format!("const [first, , third = {b}] = [{a}, 5];\nexport const durationInFrames = first * third;"),
            _ => format!("const cfg = Object.freeze({{ f: {a} }});\nexport const durationInFrames = Object.keys(cfg).length * cfg.f;"),
        });
    }
    // Types and JSX around the duration.
    for i in 0..25 {
        let f = 30 + 5 * rng.below(30);
        add(match i % 5 {
            0 => format!("type Beat = {{ frames: number }};\nconst beats: Beat[] = [{{ frames: {f} }}];\nexport const durationInFrames: number = beats[0].frames;"),
            1 => format!("enum Len {{ Short = {f}, Long = Short * 2 }}\nexport const durationInFrames = Len.Long;"),
            2 => format!("interface P {{ n: number }}\nconst Card = ({{ n }}: P) => <div>{{n}}</div>;\nconst el = <Card n={{3}} />;\nexport const durationInFrames = {f} satisfies number;"),
            3 => format!("const el = <><span>a</span></>;\nexport const durationInFrames = ({f} as const) + 0;"),
            _ => format!("namespace Timing {{ export const frames = {f}; }}\nexport const durationInFrames = Timing.frames;"),
        });
    }
    // Imports, browser globals and React: stubs, never a number unless the duration ignores them.
    for i in 0..20 {
        let f = 30 + rng.below(200);
        add(match i % 5 {
            0 => format!("import {{ AbsoluteFill }} from 'remotion';\nconst el = <AbsoluteFill />;\nexport const durationInFrames = {f};"),
            1 => format!("import {{ cms }} from './cms';\nexport const durationInFrames = cms.frames ?? {f};"),
            2 => format!("const {{ AbsoluteFill, useCurrentFrame }} = window.Remotion;\nexport const durationInFrames = {f};"),
            3 => format!("const seconds = window.config?.seconds;\nexport const durationInFrames = {f};"),
            _ => format!("import * as R from 'remotion';\nexport const durationInFrames = R.useVideoConfig ? {f} : 1;"),
        });
    }
    // Random numbers and the date.
    for i in 0..10 {
        add(match i % 5 {
            0 => "const jitter = Math.random();\nexport const durationInFrames = 90;".to_string(),
            1 => "export const durationInFrames = 30 + Math.floor(Math.random() * 60);".to_string(),
            2 => "const sparkles = Array.from({ length: 12 }, () => Math.random());\nexport const durationInFrames = sparkles.length * 10;".to_string(),
            3 => "const now = Date.now();\nexport const durationInFrames = 120;".to_string(),
            _ => "export const durationInFrames = new Date().getFullYear() > 2000 ? 90 : 30;".to_string(),
        });
    }
    // Several exports that must agree.
    for i in 0..10 {
        let a = 30 + 10 * i;
        let b = if i % 2 == 0 { a } else { a + 1 };
        add(format!(
            "export const durationInFrames_a = {a};\nexport const durationInFrames_b = {b};"
        ));
    }
    out
}

/// Programs written out: the unit tests' cases and the shapes the issue lists.
const FIXED: &[&str] = &[
    "export const durationInFrames = 150;",
    "export const durationInFrames = 5 * 30;",
    "const fps = 30;\nexport const durationInFrames = (fps * 4 + -10) as const;",
    "export const durationInFrames = 2 ** 3 % 5 + 100 / 4 - +1;",
    "export const durationInFrames = 90 satisfies number;",
    "const a = 30;\nconst b = a!;\nexport const durationInFrames = b as number;",
    "export const durationInFrames = Math.round(4.5 * 30.1);",
    "export const durationInFrames = Math.floor(10.9) + Math.ceil(0.1);",
    "export const durationInFrames = Math.max(10, 90, 45) + Math.min(3, 1);",
    "const script_x7 = [ { type: \"intro\", frames: 40 }, { type: \"hold\", frames: 70 } ];\nconst totalFrames_x7 = script_x7.reduce((sum, item) => sum + item.frames, 0);\nexport const durationInFrames = totalFrames_x7;",
    "const s = [{ frames: 10, render: () => null }, { frames: 20 }] as const;\nexport const durationInFrames = s.reduce((acc, i) => { return acc + i.frames; }, 5);",
    "const s = [{ f: 10 }, { f: 20 }];\nexport const durationInFrames = s.map(i => i.f).reduce((a, b) => a + b, 0);",
    "const steps = ['a', 'b', 'c'];\nexport const durationInFrames = steps.length * 30 + steps[1].length;",
    "const s = [10, 20, 30];\nexport const durationInFrames = s.reduce((a, b) => a + b);",
    "const a = [{ f: 1 }];\nconst b = [...a, { ...a[0], f: 2 }];\nexport const durationInFrames = b.reduce((s, x) => s + x.f, 0);",
    "export const durationInFrames = compute();\nfunction compute() { return 45; }",
    "export const durationInFrames = 10 / 0;",
    "export const durationInFrames = 12.5;",
    "export const durationInFrames = 0;",
    "export const durationInFrames = 'x';",
    "export const durationInFrames = true ? 1 : 2;",
    "const s = [{ f: 1 }];\ns.push({ f: 2 });\nexport const durationInFrames = s.reduce((a, x) => a + x.f, 0);",
    "const o = { f: 1 };\nfunction g() { o.f++; }\ng();\nexport const durationInFrames = o.f;",
    "const s = [{ f: 1 }];\nconst other = { s: [] as number[] };\nother.s.push(1);\nexport const durationInFrames = s.reduce((a, x) => a + x.f, 0);",
    "const s = [{ f: 1 }];\nexport const durationInFrames = s.reduce(({ a = 5 }: any, x) => a + x.f, {});",
];

#[test]
fn every_stated_duration_is_what_node_computes() {
    let corpus = corpus();
    assert!(corpus.len() >= 300, "{} programs", corpus.len());
    let dir = reference();
    let programs: Vec<Value> = corpus
        .iter()
        .map(|(code, pattern)| serde_json::json!({"code": code, "pattern": pattern}))
        .collect();
    let input = dir.join("programs.json");
    std::fs::write(&input, serde_json::to_vec(&programs).unwrap()).unwrap();
    let out = Command::new("node")
        .arg(dir.join("run.mjs"))
        .arg(&input)
        .output()
        .expect("node (Debian's nodejs, which scripts/test.sh installs)");
    assert!(
        out.status.success(),
        "node failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.len(), corpus.len());

    let mut resolved = 0;
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut contradictions = Vec::new();
    for ((code, pattern), node) in corpus.iter().zip(&results) {
        match ours(code, pattern) {
            CodeDuration::Frames { frames, .. } => {
                resolved += 1;
                let agrees = node["ok"] == true
                    && node["values"].as_object().is_some_and(|values| {
                        !values.is_empty()
                            && values
                                .values()
                                .all(|v| v.as_f64() == Some(f64::from(frames)))
                    });
                if !agrees {
                    contradictions.push(format!("{code}\n  ours: {frames}, node: {node}"));
                }
            }
            CodeDuration::NotDeterminable { reason, .. } => {
                *reasons.entry(kind_of(&reason)).or_default() += 1;
            }
            CodeDuration::NoExport => {
                contradictions.push(format!("{code}\n  ours: no export"));
            }
        }
    }
    eprintln!(
        "{} programs: {resolved} resolved (each equal to Node's), {} not determinable:",
        corpus.len(),
        corpus.len() - resolved
    );
    for (why, n) in &reasons {
        eprintln!("  {n:4}  {why}");
    }
    assert!(
        contradictions.is_empty(),
        "{} durations differ from execution:\n{}",
        contradictions.len(),
        contradictions.join("\n\n")
    );
    // The evaluator decides most programs; it is not "not determinable" across the board.
    assert!(
        resolved * 10 >= corpus.len() * 7,
        "only {resolved} resolved"
    );
}

/// A reason without its particulars (names, numbers), to count kinds.
fn kind_of(reason: &str) -> String {
    for (needle, kind) in [
        (
            "not a whole number of frames",
            "not a whole number of frames",
        ),
        ("not a number of frames", "not a number"),
        (
            "only exists when the scene runs",
            "computed from an import or a browser global",
        ),
        (
            "Math.random or the time",
            "depends on Math.random or the time",
        ),
        ("throws", "the module throws while loading"),
        ("` is ", "several exports disagree"),
        ("re-exported", "re-exported from another module"),
        ("exported as a", "exported as a function or class"),
    ] {
        if reason.contains(needle) {
            return kind.to_string();
        }
    }
    reason.to_string()
}
