//! Tests of the duration evaluator: every evaluated shape and every reason to stop.

use super::*;
use oxc_allocator::Allocator;
use oxc_parser::config::RuntimeParserConfig;
use oxc_parser::Parser;
use oxc_span::SourceType;

fn eval_with(code: &str, pattern: &str) -> CodeDuration {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, code, SourceType::tsx())
        .with_config(RuntimeParserConfig::new(true))
        .parse();
    assert!(parsed.diagnostics.errors().next().is_none(), "{code}");
    let index = LineIndex::new(code);
    evaluate(
        &parsed.program,
        &parsed.tokens,
        code,
        &index,
        &DurationExport::new(pattern),
    )
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
        CodeDuration::NotDeterminable { reason, at } => (reason, at.to_string()),
        other => panic!("{other:?} for\n{code}"),
    }
}

#[test]
fn literals_and_arithmetic() {
    assert_eq!(frames("export const durationInFrames = 150;"), 150);
    assert_eq!(frames("export const durationInFrames_x7 = 5 * 30;"), 150);
    assert_eq!(
        frames("const fps = 30;\nexport const durationInFrames = (fps * 4 + -10) as const;"),
        110
    );
    assert_eq!(
        frames("export const durationInFrames = 2 ** 3 % 5 + 100 / 4 - +1;"),
        27
    );
    assert_eq!(
        frames("export const durationInFrames = 90 satisfies number;"),
        90
    );
    assert_eq!(
        frames("const a = 30;\nconst b = a!;\nexport const durationInFrames = b as number;"),
        30
    );
}

#[test]
fn math_functions() {
    assert_eq!(
        frames("export const durationInFrames = Math.round(4.5 * 30.1);"),
        135
    );
    assert_eq!(
        frames("export const durationInFrames = Math.floor(10.9) + Math.ceil(0.1);"),
        11
    );
    assert_eq!(
        frames("export const durationInFrames = Math.max(10, 90, 45) + Math.min(3, 1);"),
        91
    );
}

#[test]
fn script_arrays_reduce_map_and_length() {
    let reduce =
        "const script_x7 = [ { type: \"intro\", frames: 40 }, { type: \"hold\", frames: 70 } ];\n\
        const totalFrames_x7 = script_x7.reduce((sum, item) => sum + item.frames, 0);\n\
        export const durationInFrames_x7 = totalFrames_x7;";
    assert_eq!(frames(reduce), 110);
    let block = "const s = [{ frames: 10, render: () => null }, { frames: 20 }] as const;\n\
        export const durationInFrames = s.reduce((acc, i) => { return acc + i.frames; }, 5);";
    assert_eq!(frames(block), 35);
    let mapped = "const s = [{ f: 10 }, { f: 20 }];\n\
        export const durationInFrames = s.map(i => i.f).reduce((a, b) => a + b, 0);";
    assert_eq!(frames(mapped), 30);
    let function = "const s = [{ f: 10 }, { f: 20 }];\n\
        export const durationInFrames = s.reduce(function (a, x) { return a + x.f * 2; }, 0);";
    assert_eq!(frames(function), 60);
    let length = "const steps = ['a', 'b', 'c'];\nexport const durationInFrames = steps.length * 30 + steps[1].length;";
    assert!(matches!(eval(length), CodeDuration::NotDeterminable { .. }));
    let length =
        "const steps = ['a', 'b', 'c'];\nexport const durationInFrames = steps.length * 30;";
    assert_eq!(frames(length), 90);
    let no_init =
        "const s = [10, 20, 30];\nexport const durationInFrames = s.reduce((a, b) => a + b);";
    assert_eq!(frames(no_init), 60);
    let spread = "const a = [{ f: 1 }];\nconst b = [...a, { ...a[0], f: 2 }];\nexport const durationInFrames = b.reduce((s, x) => s + x.f, 0);";
    assert_eq!(frames(spread), 3);
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
        ("import { total } from './t';\nexport const durationInFrames = total;", "`durationInFrames`: `total` is an import is not read", "2:33"),
        ("export let durationInFrames = 90;", "`durationInFrames`: declared with let or var, so it can change", "1:12"),
        ("export { durationInFrames } from './x';", "`durationInFrames`: re-exported from another module, which is not read", "1:10"),
        ("export const durationInFrames = compute();", "`durationInFrames`: a call is not evaluated", "1:33"),
        ("const f = () => 3;\nexport const durationInFrames = f();", "`durationInFrames`: a call is not evaluated", "2:33"),
        ("export const durationInFrames = unknownThing * 2;", "`durationInFrames`: `unknownThing` is not a top-level const of this file", "1:33"),
        ("export const durationInFrames = 10 / 0;", "`durationInFrames`: division by zero", "1:38"),
        ("export const durationInFrames = 12.5;", "`durationInFrames` evaluates to 12.5, not a whole number of frames", "1:14"),
        ("export const durationInFrames = 0;", "`durationInFrames` evaluates to 0, not a whole number of frames", "1:14"),
        ("export const durationInFrames = 'x';", "`durationInFrames`: a string where a number is needed", "1:33"),
        ("export const durationInFrames = true ? 1 : 2;", "`durationInFrames`: a conditional is not evaluated", "1:33"),
        ("const s = [{ f: 1 }];\nexport const durationInFrames = s.reduce((a, x) => a + x.g, 0);", "`durationInFrames`: no field `g`", "2:56"),
        ("const s = [{ f: 1, g: fn() }];\nexport const durationInFrames = s.reduce((a, x) => a + x.g, 0);", "`durationInFrames`: a call is not evaluated", "1:23"),
        ("const a = b;\nconst b = a;\nexport const durationInFrames = a;", "`durationInFrames`: `a` refers to itself", "2:11"),
        ("export const durationInFrames_a = 10;\nexport const durationInFrames_b = 20;", "`durationInFrames_a` is 10 but `durationInFrames_b` is 20", "2:14"),
        ("const s = [{ f: 1 }];\ns.push({ f: 2 });\nexport const durationInFrames = s.reduce((a, x) => a + x.f, 0);", "`durationInFrames` depends on `s`, which the code changes after declaring it", "2:1"),
        ("const s = [{ f: 1 }];\ns[0].f = 5;\nexport const durationInFrames = s.reduce((a, x) => a + x.f, 0);", "`durationInFrames` depends on `s`, which the code changes after declaring it", "2:1"),
        ("const o = { f: 1 };\nfunction g() { o.f++; }\nexport const durationInFrames = o.f;", "`durationInFrames` depends on `o`, which the code changes after declaring it", "2:16"),
        ("const s = [{ f: 1 }];\nexport const durationInFrames = s.reduce(({ a }, x) => a + x.f, 0);", "`durationInFrames`: a destructured or defaulted parameter is not evaluated", "2:42"),
    ];
    for (code, reason, at) in cases {
        assert_eq!(
            stopped(code),
            (reason.to_string(), at.to_string()),
            "{code}"
        );
    }
}

#[test]
fn a_property_named_like_a_const_is_not_a_mutation() {
    let code = "const s = [{ f: 1 }];\nconst other = { s: [] };\nother.s.push(1);\nexport const durationInFrames = s.reduce((a, x) => a + x.f, 0);";
    assert_eq!(frames(code), 1);
}

#[test]
fn hostile_shapes_stop_instead_of_hanging() {
    let mut chain = String::from("const a0 = 1;\n");
    for i in 1..5000 {
        chain.push_str(&format!("const a{i} = a{} + 1;\n", i - 1));
    }
    chain.push_str("export const durationInFrames = a4999;");
    let (reason, _) = stopped(&chain);
    assert!(reason.contains("more than 200 deep"), "{reason}");
    let mut doubling = String::from("const o0 = [1, 1];\n");
    for i in 1..60 {
        doubling.push_str(&format!("const o{i} = [...o{}, ...o{}];\n", i - 1, i - 1));
    }
    doubling.push_str("export const durationInFrames = o59.length;");
    let (reason, _) = stopped(&doubling);
    assert!(reason.contains("too much to evaluate"), "{reason}");
}
