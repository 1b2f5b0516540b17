//! The duration a scene's code exports, evaluated statically (never executed).
//!
//! Takes a parsed module (the AST and tokens the gate already has), its text, and the export to look
//! for ([`DurationExport`]: `durationInFrames`, or `durationInFrames_<suffix>`, by default); gives a
//! [`CodeDuration`]: the frames, with the export's line:col; or why it cannot be known without running
//! the code, with the line:col of what stopped the evaluation; or that the code exports none.
//!
//! Evaluated: number literals; references to top-level `const`s; unary `-`/`+` and binary
//! `+ - * / % **`; parentheses, `as const`, `satisfies`, `!` and `<T>` casts; `Math.round`,
//! `floor`, `ceil`, `trunc`, `abs`, `min`, `max`; array and object literals (spreads of known arrays
//! and objects too); `.length`; `arr[i]` and `obj.field`; `.map(x => …)` and
//! `.reduce((acc, x) => …, init)` whose callbacks are arrows or functions returning one expression
//! (a block with a single `return` counts). Anything else (another call, a `let`, an import, a loop,
//! a value mutated after its declaration) makes the duration "not determinable". Evaluation is bounded
//! in reference depth and total work, so hostile code cannot make it hang or overflow.
//!
//! Mutation is found from the parser's tokens: a `const` the duration depends on that is followed by
//! a mutating method call (`push`, `splice`, …), an assignment or `++`/`--` through any member chain,
//! or `delete`, anywhere in the module, is not trusted. An alias (`const s = script; s.push(…)`) is
//! not followed; that is the one known way to fool it.

mod evaluator;
mod mutation;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use oxc_ast::ast::{
    BindingPattern, Declaration, Expression, Program, Statement, VariableDeclarationKind,
};
use oxc_parser::Token;
use serde::{Deserialize, Serialize};

use crate::ast::export_name;
use crate::location::LineIndex;
use evaluator::{Evaluator, Stop};
use mutation::mutated;

/// Which export states the duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationExport {
    /// `durationInFrames` matches `durationInFrames` and `durationInFrames_<suffix>`; a trailing
    /// `*` (`duration*`) matches any name that starts with what comes before it.
    pub pattern: String,
}

impl DurationExport {
    pub fn new(pattern: &str) -> Self {
        DurationExport {
            pattern: pattern.to_string(),
        }
    }

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
    pub line: usize,
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
    Frames { frames: u32, at: CodePos },
    /// The export exists but cannot be evaluated without running the code; `at` is what stopped it.
    NotDeterminable { reason: String, at: CodePos },
    /// No export matches.
    NoExport,
}

/// Deepest chain of const references followed (`a` → `b` → …).
pub(super) const MAX_DEPTH: usize = 200;
/// Most nodes evaluated for one module.
pub(super) const MAX_WORK: usize = 200_000;

/// Find the duration export in `program` and evaluate it.
pub fn evaluate(
    program: &Program<'_>,
    tokens: &[Token],
    code: &str,
    index: &LineIndex<'_>,
    export: &DurationExport,
) -> CodeDuration {
    let pos = |offset: u32| {
        let (line, col) = index.line_col(offset as usize);
        CodePos { line, col }
    };
    let module = Module::collect(program);
    let mut found: Vec<(&str, u32, Result<f64, Stop>)> = Vec::new();
    let mut evaluator = Evaluator::new(&module);
    for candidate in &module.exports {
        if !export.matches(candidate.exported) {
            continue;
        }
        let result = match candidate.target {
            ExportTarget::Init(expr) => evaluator.number(expr, 0),
            ExportTarget::Local(local) => evaluator.reference(local, candidate.offset, 0),
            ExportTarget::NotConst(why) => Err(Stop::at(candidate.offset, why)),
        };
        found.push((candidate.exported, candidate.offset, result));
    }
    let Some((_, first_offset, _)) = found.first() else {
        return CodeDuration::NoExport;
    };
    let first_offset = *first_offset;
    // Every matching export must agree (a file with two scenes' durations states no single one).
    let mut frames: Option<(f64, &str)> = None;
    for (name, offset, result) in &found {
        let value = match result {
            Ok(v) => *v,
            Err(stop) => {
                return CodeDuration::NotDeterminable {
                    reason: format!("`{name}`: {}", stop.why),
                    at: pos(stop.offset),
                }
            }
        };
        match frames {
            Some((v, other)) if v != value => {
                return CodeDuration::NotDeterminable {
                    reason: format!("`{other}` is {v} but `{name}` is {value}"),
                    at: pos(*offset),
                }
            }
            _ => frames = Some((value, name)),
        }
    }
    let Some((value, name)) = frames else {
        return CodeDuration::NoExport;
    };
    if let Some((what, offset)) = mutated(tokens, code, &evaluator.used, &module) {
        return CodeDuration::NotDeterminable {
            reason: format!(
                "`{name}` depends on `{what}`, which the code changes after declaring it"
            ),
            at: pos(offset),
        };
    }
    if !(value.is_finite() && value.fract() == 0.0 && value >= 1.0 && value <= u32::MAX as f64) {
        return CodeDuration::NotDeterminable {
            reason: format!("`{name}` evaluates to {value}, not a whole number of frames"),
            at: pos(first_offset),
        };
    }
    CodeDuration::Frames {
        frames: value as u32,
        at: pos(first_offset),
    }
}

/// What an export names.
pub(super) enum ExportTarget<'e, 'a> {
    /// `export const name = <init>`
    Init(&'e Expression<'a>),
    /// `export { local as name }`
    Local(&'a str),
    /// Exported, but not as something that stays put (`let`, a re-export, a function).
    NotConst(&'static str),
}

pub(super) struct Export<'e, 'a> {
    exported: &'a str,
    offset: u32,
    target: ExportTarget<'e, 'a>,
}

/// A module's top-level bindings and exports.
pub(super) struct Module<'e, 'a> {
    consts: HashMap<&'a str, (&'e Expression<'a>, u32)>,
    /// Top-level names that are not `const`s (let/var, functions, classes, imports): a reference to
    /// one is not determinable, with this reason.
    others: HashMap<&'a str, &'static str>,
    exports: Vec<Export<'e, 'a>>,
}

impl<'e, 'a> Module<'e, 'a> {
    fn collect(program: &'e Program<'a>) -> Self {
        let mut m = Module {
            consts: HashMap::new(),
            others: HashMap::new(),
            exports: Vec::new(),
        };
        for statement in &program.body {
            match statement {
                Statement::VariableDeclaration(decl) => m.declare(decl, false),
                Statement::ExportDeclaration(e) => match &e.declaration {
                    Declaration::VariableDeclaration(decl) => m.declare(decl, true),
                    Declaration::FunctionDeclaration(f) => {
                        if let Some(id) = &f.id {
                            m.others
                                .insert(id.name.as_str(), "a function is not evaluated");
                            m.exports.push(Export {
                                exported: id.name.as_str(),
                                offset: id.span.start,
                                target: ExportTarget::NotConst("exported as a function"),
                            });
                        }
                    }
                    _ => {}
                },
                Statement::ExportNamedDeclaration(e) => {
                    for spec in &e.specifiers {
                        m.exports.push(Export {
                            exported: export_name(&spec.exported),
                            offset: spec.span.start,
                            target: ExportTarget::Local(export_name(&spec.local)),
                        });
                    }
                }
                Statement::ExportFromDeclaration(e) => {
                    for spec in &e.specifiers {
                        m.exports.push(Export {
                            exported: export_name(&spec.exported),
                            offset: spec.span.start,
                            target: ExportTarget::NotConst(
                                "re-exported from another module, which is not read",
                            ),
                        });
                    }
                }
                Statement::FunctionDeclaration(f) => {
                    if let Some(id) = &f.id {
                        m.others
                            .insert(id.name.as_str(), "a function is not evaluated");
                    }
                }
                Statement::ImportDeclaration(i) => {
                    for spec in i.specifiers.iter().flatten() {
                        m.others
                            .insert(spec.local().name.as_str(), "an import is not read");
                    }
                }
                _ => {}
            }
        }
        m
    }

    fn declare(&mut self, decl: &'e oxc_ast::ast::VariableDeclaration<'a>, exported: bool) {
        let is_const = decl.kind == VariableDeclarationKind::Const;
        for d in &decl.declarations {
            let BindingPattern::BindingIdentifier(id) = &d.id else {
                continue;
            };
            let name = id.name.as_str();
            match (&d.init, is_const) {
                (Some(init), true) => {
                    self.consts.insert(name, (init, id.span.start));
                    if exported {
                        self.exports.push(Export {
                            exported: name,
                            offset: id.span.start,
                            target: ExportTarget::Init(init),
                        });
                    }
                }
                _ => {
                    let why = "declared with let or var, so it can change";
                    self.others.insert(name, why);
                    if exported {
                        self.exports.push(Export {
                            exported: name,
                            offset: id.span.start,
                            target: ExportTarget::NotConst(why),
                        });
                    }
                }
            }
        }
    }
}
