//! Tests of the duration evaluator: what running the module gives, the cases a static evaluator got
//! wrong, and every reason to stop. `tests/durations_node.rs` checks it against Node on hundreds of
//! programs.

use super::*;
use oxc_allocator::Allocator;
use oxc_parser::Parser;
use oxc_span::SourceType;

fn eval_with(code: &str, pattern: &str) -> CodeDuration {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, code, SourceType::tsx()).parse();
    assert!(parsed.diagnostics.errors().next().is_none(), "{code}");
    let index = LineIndex::new(code);
    evaluate(&parsed.program, code, &index, &DurationExport::new(pattern))
}

fn eval(code: &str) -> CodeDuration {
    eval_with(code, "durationInFrames")
}

fn frames(code: &str) -> u32 {
    match eval(code) {
        CodeDuration::Frames { frames, .. } => frames,
        other => panic!("{other:?} for\n{code}"),
    }
}

/// The reason and line:col of a not-determinable duration.
fn stopped(code: &str) -> (String, String) {
    match eval(code) {
        CodeDuration::NotDeterminable { reason, at, .. } => (reason, at.to_string()),
        other => panic!("{other:?} for\n{code}"),
    }
}

#[test]
fn literals_arithmetic_and_types() {
    assert_eq!(frames("export const durationInFrames = 150;"), 150);
    assert_eq!(frames("export const durationInFrames_x7 = 5 * 30;"), 150);
    assert_eq!(
        frames("const fps = 30;\nexport const durationInFrames = (fps * 4 + -10) as const;"),
        110
    );
    assert_eq!(
        frames("export const durationInFrames = 90 satisfies number;"),
        90
    );
    assert_eq!(
        frames(
            "const a: number = 30;\nconst b = a!;\nexport const durationInFrames = b as number;"
        ),
        30
    );
    assert_eq!(
        frames("enum Beat { Intro = 40, Hold = 70 }\nexport const durationInFrames = Beat.Intro + Beat.Hold;"),
        110
    );
}

#[test]
fn scripts_calls_loops_and_getters_run_as_javascript_runs_them() {
    let reduce = "const script = [ { type: 'intro', frames: 40, el: <Title /> }, { type: 'hold', frames: 70 } ];\n\
        function Title() { return <h1>hi</h1>; }\n\
        export const durationInFrames = script.reduce((sum, item) => sum + item.frames, 0);";
    assert_eq!(frames(reduce), 110);
    let called = "const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);\nexport const durationInFrames = total([30, 60]);";
    assert_eq!(frames(called), 90);
    let looped =
        "let t = 0;\nfor (const s of [10, 20, 30]) { t += s; }\nexport const durationInFrames = t;";
    assert_eq!(frames(looped), 60);
    let getter = "const scene = { get length() { return 3 * 30; } };\nexport const durationInFrames = scene.length;";
    assert_eq!(frames(getter), 90);
    let renamed = "const total = 90;\nexport { total as durationInFrames };";
    assert_eq!(frames(renamed), 90);
    let late_let = "export let durationInFrames = 90;\ndurationInFrames += 30;";
    assert_eq!(frames(late_let), 120);
}

#[test]
fn what_the_static_evaluator_got_wrong_is_right() {
    // A callback parameter named like a top-level const: the parameter wins inside the callback.
    let shadow = "const t = 10;\nconst TRANSITION = t * 2;\nexport const durationInFrames = [90, 120, 60].reduce((total, t) => total + t + TRANSITION, 0);";
    assert_eq!(frames(shadow), 330);
    let assign =
        "const c = { f: 30 };\nObject.assign(c, { f: 60 });\nexport const durationInFrames = c.f;";
    assert_eq!(frames(assign), 60);
    let define = "const c = { f: 30 };\nObject.defineProperty(c, 'f', { value: 45 });\nexport const durationInFrames = c.f;";
    assert_eq!(frames(define), 45);
    let for_each = "const s = [{ f: 1 }, { f: 2 }];\ns.forEach((x) => { x.f *= 10; });\nexport const durationInFrames = s.reduce((a, x) => a + x.f, 0);";
    assert_eq!(frames(for_each), 30);
    let pushes = "const s = [30];\nfunction more() { s.push(60); }\nmore();\nexport const durationInFrames = s.reduce((a, b) => a + b, 0);";
    assert_eq!(frames(pushes), 90);
    let alias = "const s = [{ f: 10 }];\nconst first = s[0];\nfirst.f = 40;\nexport const durationInFrames = s[0].f;";
    assert_eq!(frames(alias), 40);
    let own_math = "const Math = { round: (x: number) => x * 2 };\nexport const durationInFrames = Math.round(45);";
    assert_eq!(frames(own_math), 90);
}

#[test]
fn export_forms_and_the_export_position() {
    assert_eq!(
        eval("const total = 90;\nexport { total as durationInFrames };"),
        CodeDuration::Frames {
            frames: 90,
            at: CodePos { line: 2, col: 10 }
        }
    );
    assert_eq!(
        eval("// scene\n  export const durationInFrames = 60;"),
        CodeDuration::Frames {
            frames: 60,
            at: CodePos { line: 2, col: 16 }
        }
    );
    assert_eq!(
        eval("export const fps = 30;\nexport default function S() { return null; }"),
        CodeDuration::NoExport
    );
    // A name that only starts like the pattern is another export.
    assert_eq!(
        eval("export const durationInFramesTotal = 3;"),
        CodeDuration::NoExport
    );
    assert_eq!(
        eval_with("export const sceneLength = 3;", "scene*"),
        CodeDuration::Frames {
            frames: 3,
            at: CodePos { line: 1, col: 14 }
        }
    );
}

#[test]
fn each_reason_for_not_determinable_names_its_place() {
    let cases = [
        (
            "import { total } from './t';\nexport const durationInFrames = total;",
            "`durationInFrames` depends on `import \"./t\".total`, which only exists when the scene runs (a browser global or an import)",
            "2:14",
        ),
        (
            "import { total } from './t';\nexport { total as durationInFrames };",
            "`durationInFrames`: imported from another module, which is not read",
            "2:10",
        ),
        (
            "export { durationInFrames } from './x';",
            "`durationInFrames`: re-exported from another module, which is not read",
            "1:10",
        ),
        (
            "export function durationInFrames() { return 3; }",
            "`durationInFrames`: exported as a function",
            "1:17",
        ),
        (
            "export const durationInFrames = window.config.frames;",
            "`durationInFrames` depends on `window.config`, which only exists when the scene runs (a browser global or an import)",
            "1:14",
        ),
        (
            "export const durationInFrames = 12.5;",
            "`durationInFrames` evaluates to 12.5, not a whole number of frames",
            "1:14",
        ),
        (
            "export const durationInFrames = 0;",
            "`durationInFrames` evaluates to 0, not a whole number of frames",
            "1:14",
        ),
        (
            "export const durationInFrames = Math.round(0.49999999999999994);",
            "`durationInFrames` evaluates to 0, not a whole number of frames",
            "1:14",
        ),
        (
            "export const durationInFrames = 10 / 0;",
            "`durationInFrames` evaluates to Infinity, not a whole number of frames",
            "1:14",
        ),
        (
            "export const durationInFrames = '90';",
            "`durationInFrames` is a string \"90\", not a number of frames",
            "1:14",
        ),
        (
            "export const durationInFrames = BASE * 2;\nconst BASE = 60;",
            "running the module throws ReferenceError: BASE is not initialized",
            "1:14",
        ),
        (
            "const f = undefinedThing.frames;\nexport const durationInFrames = 30;",
            "running the module throws ReferenceError: undefinedThing is not defined",
            "2:14",
        ),
        (
            "export const durationInFrames_a = 10;\nexport const durationInFrames_b = 20;",
            "`durationInFrames_a` is 10 but `durationInFrames_b` is 20",
            "2:14",
        ),
        (
            "export const durationInFrames = 30 + Math.floor(Math.random() * 60);",
            "`durationInFrames` depends on Math.random or the time",
            "1:14",
        ),
        (
            "const jitter = Math.floor(Math.random() * 60);\nexport const durationInFrames = 30 + jitter;",
            "`durationInFrames` changes with Math.random or the time",
            "2:14",
        ),
    ];
    for (code, reason, at) in cases {
        assert_eq!(
            stopped(code),
            (reason.to_string(), at.to_string()),
            "{code}"
        );
    }
    // Random numbers used for something else leave the duration known.
    assert_eq!(
        frames("const sparkles = [1, 2, 3].map(() => Math.random());\nexport const durationInFrames = 90;"),
        90
    );
}

#[test]
fn hostile_modules_stop_within_the_limits() {
    let (reason, _) =
        stopped("let i = 0;\nwhile (true) { i++; }\nexport const durationInFrames = 1;");
    assert!(
        reason.contains("ran past its deadline") || reason.contains("ran out of fuel"),
        "{reason}"
    );
    // 841 bytes that doubled until memory ran out in the static evaluator.
    let mut doubling = String::from("const a0 = [1, 1];\n");
    for i in 1..60 {
        doubling.push_str(&format!("const a{i} = [a{p}, a{p}];\n", p = i - 1));
    }
    doubling.push_str("export const durationInFrames = JSON.stringify(a59).length;");
    let (reason, _) = stopped(&doubling);
    assert!(
        reason.contains("MiB") || reason.contains("ran past") || reason.contains("ran out"),
        "{reason}"
    );
    let (reason, _) = stopped(
        "const f = (n: number): number => f(n + 1);\nexport const durationInFrames = f(0);",
    );
    assert!(reason.contains("throws"), "{reason}");
}
