//! The duration a scene's code exports, found by running the module's top level in a sandbox.
//!
//! Takes a parsed module (the gate's parse), its text, and the export to look for
//! ([`DurationExport`]: `durationInFrames`, or `durationInFrames_<suffix>`, by default); gives a
//! [`CodeDuration`]: the frames, with the export's line:col; or why they cannot be known, with a
//! line:col; or that the code exports none.
//!
//! A hand-written evaluator of JavaScript stated false durations (callback parameters shadowing
//! constants, mutations through `Object.assign` or an alias, a `const Math`, TDZ, rounding), so the
//! module is run instead, as the browser would run it, in an embedded engine:
//!
//! 1. `exports`: the exports that match, found on the gate's parse (none: `NoExport`, nothing is
//!    run). Imports become stub bindings, re-exports are dropped, and the statements that declare a
//!    duration export are marked, so the engine can tell what their computation touched.
//! 2. `script`: types and JSX stripped by oxc's own transformer.
//! 3. `engine`: the top level runs in QuickJS with a memory cap, a stack cap, fuel and a
//!    deadline, no loader and no I/O; browser globals and imports are inert stubs.
//! 4. The value of every matching export must be the same whole number of frames (1 … 2³²−1). A
//!    value that is not, a module that throws while loading (a TDZ violation, a stub called as if it
//!    were real code), a computation that used a stub, or a value that changes when `Math.random`
//!    and the date change, is "not determinable", with the reason.

mod engine;
mod exports;
mod script;
#[cfg(test)]
mod tests;
pub mod worker;

pub use engine::FUEL;

use oxc_ast::ast::Program;
use serde::{Deserialize, Serialize};

use crate::location::LineIndex;
use engine::{Code, Outcome, Reading};

/// Which export states the duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationExport {
    /// `durationInFrames` matches `durationInFrames` and `durationInFrames_<suffix>`; a trailing
    /// `*` (`duration*`) matches any name that starts with what comes before it.
    pub pattern: String,
}

impl DurationExport {
    /// The export named by `pattern` (see [`DurationExport::pattern`]).
    pub fn new(pattern: &str) -> Self {
        DurationExport {
            pattern: pattern.to_string(),
        }
    }

    /// Whether an exported `name` is the duration export.
    pub fn matches(&self, name: &str) -> bool {
        match self.pattern.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => {
                name == self.pattern
                    || name
                        .strip_prefix(self.pattern.as_str())
                        .is_some_and(|rest| rest.len() > 1 && rest.starts_with('_'))
            }
        }
    }
}

/// A line and column inside a template's code (1-based, columns in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodePos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
}

impl std::fmt::Display for CodePos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// What the code says about its own duration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum CodeDuration {
    /// The export evaluates to this many frames; `at` is the exported name.
    Frames {
        /// The exported length in frames.
        frames: u32,
        /// Where the export is.
        at: CodePos,
    },
    /// The export exists but cannot be evaluated without running the code; `at` is what stopped it.
    NotDeterminable {
        /// Why not (what the evaluation met).
        reason: String,
        /// What stopped it.
        at: CodePos,
        /// The evaluation was stopped by the wall clock, not by what the code does: the next run
        /// may end otherwise, so this is never remembered between builds.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        transient: bool,
    },
    /// No export matches.
    NoExport,
}

/// The seeds of the first run and of the second (run only when the module asked for random
/// numbers or the time).
const SEEDS: [u32; 2] = [20_240_917, 7];

/// Find the duration export in `program` (parsed from `code`) and run the module to read it.
pub fn evaluate(
    program: &Program<'_>,
    code: &str,
    index: &LineIndex<'_>,
    export: &DurationExport,
) -> CodeDuration {
    let pos = |offset: u32| {
        let (line, col) = index.line_col(offset as usize);
        CodePos { line, col }
    };
    let plan = exports::plan(program, export);
    let Some(first) = plan.found.first() else {
        return CodeDuration::NoExport;
    };
    let not_determinable = |reason: String, offset: u32| CodeDuration::NotDeterminable {
        reason,
        at: pos(offset),
        transient: false,
    };
    let timed_out = |reason: String, offset: u32| CodeDuration::NotDeterminable {
        reason,
        at: pos(offset),
        transient: true,
    };
    if let Some(f) = plan.found.iter().find(|f| f.unreadable.is_some()) {
        let why = f.unreadable.unwrap_or_default();
        return not_determinable(format!("`{}`: {why}", f.name), f.offset);
    }
    let names: Vec<&str> = plan.found.iter().map(|f| f.name.as_str()).collect();
    // As a script, with the top-level functions' bodies skipped (most of a scene's code, never run
    // at load); if one is called after all, whole; as a module if it is not a script.
    let locals: Vec<&str> = plan.found.iter().map(|f| f.local.as_str()).collect();
    let (mut skip, mut as_script) = (true, true);
    let (ran, code) = loop {
        let source = match script::to_javascript(&plan.runnable(code, skip, as_script)) {
            Ok(js) if as_script => format!(
                "(function () {{\n\"use strict\";\n{js}\nreturn [{}];\n}})",
                locals.join(", ")
            ),
            Ok(js) => js,
            Err(why) => return not_determinable(why, first.offset),
        };
        let run = |source: &str, seed| {
            if as_script {
                worker::run(Code::Script(source), &names, seed)
            } else {
                worker::run(Code::Module(source), &names, seed)
            }
        };
        match run(&source, SEEDS[0]) {
            Outcome::Ran(ran) => break (ran, (source, as_script)),
            Outcome::Stopped(why) => return not_determinable(why, first.offset),
            Outcome::TimedOut(why) => return timed_out(why, first.offset),
            Outcome::Unreached if skip => skip = false,
            Outcome::NotAScript if as_script => as_script = false,
            Outcome::Unreached | Outcome::NotAScript => {
                return not_determinable(
                    "running the module calls a function that is not there".into(),
                    first.offset,
                )
            }
        }
    };
    let from_stub = |name: &str, stub: &str| {
        format!("`{name}` depends on `{stub}`, which only exists when the scene runs (a browser global or an import)")
    };
    if let Some(stub) = &ran.stub {
        return not_determinable(from_stub(&first.name, stub), first.offset);
    }
    if ran.clock_or_random_measured {
        return not_determinable(
            format!("`{}` depends on Math.random or the time", first.name),
            first.offset,
        );
    }
    if ran.clock_or_random {
        // Random numbers or the time used elsewhere: the duration must not move with them.
        let (source, as_script) = &code;
        let again = if *as_script {
            worker::run(Code::Script(source), &names, SEEDS[1])
        } else {
            worker::run(Code::Module(source), &names, SEEDS[1])
        };
        match again {
            Outcome::Ran(again) if again.values == ran.values => {}
            Outcome::Ran(_) | Outcome::Unreached | Outcome::NotAScript => {
                return not_determinable(
                    format!("`{}` changes with Math.random or the time", first.name),
                    first.offset,
                )
            }
            Outcome::Stopped(why) => return not_determinable(why, first.offset),
            Outcome::TimedOut(why) => return timed_out(why, first.offset),
        }
    }
    let mut frames: Option<(f64, &exports::Found)> = None;
    for (found, value) in plan.found.iter().zip(&ran.values) {
        let value = match value {
            Reading::Number(v) => *v,
            Reading::Other(what) => {
                return not_determinable(
                    format!("`{}` is {what}, not a number of frames", found.name),
                    found.offset,
                )
            }
            Reading::Stub(path) => {
                return not_determinable(from_stub(&found.name, path), found.offset)
            }
        };
        if !(value.is_finite() && value.fract() == 0.0 && value >= 1.0 && value <= u32::MAX as f64)
        {
            return not_determinable(
                format!(
                    "`{}` evaluates to {}, not a whole number of frames",
                    found.name,
                    js_number(value)
                ),
                found.offset,
            );
        }
        match frames {
            Some((v, other)) if v != value => {
                // Several matching exports must agree (a file with two scenes' durations states
                // no single one).
                return not_determinable(
                    format!(
                        "`{}` is {} but `{}` is {}",
                        other.name,
                        js_number(v),
                        found.name,
                        js_number(value)
                    ),
                    found.offset,
                );
            }
            _ => frames = Some((value, found)),
        }
    }
    match frames {
        Some((value, _)) => CodeDuration::Frames {
            frames: value as u32,
            at: pos(first.offset),
        },
        None => CodeDuration::NoExport,
    }
}

/// Whether a module's top level runs to the end, as it does when a page loads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loads {
    /// It ran to the end.
    Yes,
    /// It throws (or loops past its fuel, or runs out of memory): why.
    No(String),
    /// The safety deadline stopped it: not known.
    NotKnown(String),
}

/// Run the top level of `program` (parsed from `code`) as [`evaluate`] runs it, whether or not it
/// has a duration export, with `host` (globals the host app provides, read as bare names) declared
/// as stubs: does it load?
pub fn loads(program: &Program<'_>, code: &str, export: &DurationExport, host: &[&str]) -> Loads {
    let plan = exports::plan(program, export);
    // Declared on the wrapper's own line, so the module's lines stay where they are.
    let declare: String = host
        .iter()
        .filter(|name| is_identifier(name))
        .map(|name| format!("const {name} = __host({name:?}); "))
        .collect();
    let (mut skip, mut as_script) = (true, true);
    loop {
        let source = match script::to_javascript(&plan.runnable(code, skip, as_script)) {
            Ok(js) if as_script => {
                format!("(function () {{\n\"use strict\"; {declare}\n{js}\nreturn [];\n}})")
            }
            Ok(js) => format!("{declare}{js}"),
            Err(why) => return Loads::No(why),
        };
        let outcome = if as_script {
            worker::run(Code::Script(&source), &[], SEEDS[0])
        } else {
            worker::run(Code::Module(&source), &[], SEEDS[0])
        };
        match outcome {
            Outcome::Ran(_) => return Loads::Yes,
            Outcome::Stopped(why) => return Loads::No(why),
            Outcome::TimedOut(why) => return Loads::NotKnown(why),
            Outcome::Unreached if skip => skip = false,
            Outcome::NotAScript if as_script => as_script = false,
            Outcome::Unreached | Outcome::NotAScript => {
                return Loads::No("running the module calls a function that is not there".into())
            }
        }
    }
}

/// A plain JavaScript identifier (what may be declared as a host global).
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A number as JavaScript prints it (`12.5`, `NaN`, `-Infinity`, `90`).
fn js_number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if v.fract() == 0.0 && v.abs() < 1e21 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}
