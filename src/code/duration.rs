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

use std::collections::{HashMap, HashSet};

use oxc_ast::ast::{
    Argument, ArrayExpressionElement, BinaryOperator, BindingPattern, Declaration, Expression,
    ObjectPropertyKind, Program, Statement, UnaryOperator, VariableDeclarationKind,
};
use oxc_parser::{Kind, Token};
use oxc_span::GetSpan;
use serde::{Deserialize, Serialize};

use crate::ast::{export_name, without_wrappers};
use crate::location::LineIndex;

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
const MAX_DEPTH: usize = 200;
/// Most nodes evaluated for one module.
const MAX_WORK: usize = 200_000;

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
    let mut evaluator = Evaluator {
        module: &module,
        memo: HashMap::new(),
        resolving: Vec::new(),
        used: HashSet::new(),
        scopes: Vec::new(),
        work: 0,
    };
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
enum ExportTarget<'e, 'a> {
    /// `export const name = <init>`
    Init(&'e Expression<'a>),
    /// `export { local as name }`
    Local(&'a str),
    /// Exported, but not as something that stays put (`let`, a re-export, a function).
    NotConst(&'static str),
}

struct Export<'e, 'a> {
    exported: &'a str,
    offset: u32,
    target: ExportTarget<'e, 'a>,
}

/// A module's top-level bindings and exports.
struct Module<'e, 'a> {
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

/// Why evaluation stopped, and where.
#[derive(Debug, Clone)]
struct Stop {
    offset: u32,
    why: String,
}

impl Stop {
    fn at(offset: u32, why: impl Into<String>) -> Stop {
        Stop {
            offset,
            why: why.into(),
        }
    }
}

/// A value the evaluator knows.
#[derive(Debug, Clone)]
enum Value<'a> {
    Number(f64),
    /// Strings are kept only to be ignored (`type: "intro"` next to `frames: 40`).
    Text,
    Array(Vec<Value<'a>>),
    Object(Vec<(&'a str, Value<'a>)>),
    /// A field whose value is not data: an error only if something uses it.
    Unknown(Stop),
}

impl Value<'_> {
    fn describe(&self) -> &'static str {
        match self {
            Value::Number(_) => "a number",
            Value::Text => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
            Value::Unknown(_) => "unknown",
        }
    }
}

struct Evaluator<'m, 'e, 'a> {
    module: &'m Module<'e, 'a>,
    memo: HashMap<&'a str, Value<'a>>,
    resolving: Vec<&'a str>,
    /// Consts the result depends on (checked for mutation afterwards).
    used: HashSet<&'a str>,
    /// Callback parameters in scope, innermost last.
    scopes: Vec<(&'a str, Value<'a>)>,
    work: usize,
}

impl<'m, 'e, 'a> Evaluator<'m, 'e, 'a> {
    fn number(&mut self, expr: &'e Expression<'a>, depth: usize) -> Result<f64, Stop> {
        match self.value(expr, depth)? {
            Value::Number(n) => Ok(n),
            Value::Unknown(stop) => Err(stop),
            other => Err(Stop::at(
                expr.span().start,
                format!("{} where a number is needed", other.describe()),
            )),
        }
    }

    /// The value of a top-level const (memoized).
    fn reference(&mut self, name: &'a str, offset: u32, depth: usize) -> Result<f64, Stop> {
        match self.resolve(name, offset, depth)? {
            Value::Number(n) => Ok(n),
            Value::Unknown(stop) => Err(stop),
            other => Err(Stop::at(
                offset,
                format!("`{name}` is {} where a number is needed", other.describe()),
            )),
        }
    }

    fn resolve(&mut self, name: &'a str, offset: u32, depth: usize) -> Result<Value<'a>, Stop> {
        if let Some((_, value)) = self.scopes.iter().rev().find(|(n, _)| *n == name) {
            return Ok(value.clone());
        }
        if let Some(value) = self.memo.get(name) {
            self.used.insert(name);
            return Ok(value.clone());
        }
        let Some(&(init, _)) = self.module.consts.get(name) else {
            let why = match self.module.others.get(name) {
                Some(why) => format!("`{name}` is {why}"),
                None if name == "undefined" || name == "NaN" || name == "Infinity" => {
                    format!("`{name}` is not a number of frames")
                }
                None => format!("`{name}` is not a top-level const of this file"),
            };
            return Err(Stop::at(offset, why));
        };
        if self.resolving.contains(&name) {
            return Err(Stop::at(offset, format!("`{name}` refers to itself")));
        }
        if depth > MAX_DEPTH {
            return Err(Stop::at(
                offset,
                format!("references nest more than {MAX_DEPTH} deep"),
            ));
        }
        self.resolving.push(name);
        let value = self.value(init, depth + 1);
        self.resolving.pop();
        let value = value?;
        self.used.insert(name);
        self.memo.insert(name, value.clone());
        Ok(value)
    }

    fn value(&mut self, expr: &'e Expression<'a>, depth: usize) -> Result<Value<'a>, Stop> {
        let start = expr.span().start;
        self.work += 1;
        if self.work > MAX_WORK {
            return Err(Stop::at(start, "too much to evaluate"));
        }
        if depth > MAX_DEPTH {
            return Err(Stop::at(
                start,
                format!("nested more than {MAX_DEPTH} deep"),
            ));
        }
        let d = depth + 1;
        Ok(match without_wrappers(expr) {
            Expression::NumericLiteral(n) => Value::Number(n.value),
            Expression::StringLiteral(_) => Value::Text,
            Expression::TemplateLiteral(t) if t.expressions.is_empty() => Value::Text,
            Expression::Identifier(id) => self.resolve(id.name.as_str(), id.span.start, d)?,
            Expression::UnaryExpression(u) => {
                let n = self.number(&u.argument, d)?;
                match u.operator {
                    UnaryOperator::UnaryNegation => Value::Number(-n),
                    UnaryOperator::UnaryPlus => Value::Number(n),
                    _ => return Err(Stop::at(start, "this operator is not evaluated")),
                }
            }
            Expression::BinaryExpression(b) => {
                let (l, r) = (self.number(&b.left, d)?, self.number(&b.right, d)?);
                Value::Number(match b.operator {
                    BinaryOperator::Addition => l + r,
                    BinaryOperator::Subtraction => l - r,
                    BinaryOperator::Multiplication => l * r,
                    BinaryOperator::Division if r != 0.0 => l / r,
                    BinaryOperator::Remainder if r != 0.0 => l % r,
                    BinaryOperator::Division | BinaryOperator::Remainder => {
                        return Err(Stop::at(b.right.span().start, "division by zero"))
                    }
                    BinaryOperator::Exponential => l.powf(r),
                    _ => return Err(Stop::at(start, "this operator is not evaluated")),
                })
            }
            Expression::ArrayExpression(a) => {
                let mut items = Vec::with_capacity(a.elements.len());
                for element in &a.elements {
                    match element {
                        ArrayExpressionElement::SpreadElement(s) => {
                            match self.value(&s.argument, d)? {
                                Value::Array(more) => {
                                    self.work += more.len();
                                    if self.work > MAX_WORK {
                                        return Err(Stop::at(s.span.start, "too much to evaluate"));
                                    }
                                    items.extend(more)
                                }
                                Value::Unknown(stop) => return Err(stop),
                                _ => {
                                    return Err(Stop::at(
                                        s.span.start,
                                        "spread of something that is not an array",
                                    ))
                                }
                            }
                        }
                        ArrayExpressionElement::Elision(e) => {
                            items.push(Value::Unknown(Stop::at(e.span.start, "an empty slot")))
                        }
                        other => match other.as_expression() {
                            Some(e) => items.push(self.lazy(e, d)),
                            None => return Err(Stop::at(start, "not an array element")),
                        },
                    }
                    self.work += 1;
                }
                Value::Array(items)
            }
            Expression::ObjectExpression(o) => {
                let mut fields: Vec<(&'a str, Value<'a>)> = Vec::new();
                for property in &o.properties {
                    match property {
                        ObjectPropertyKind::ObjectProperty(p) => {
                            let Some(name) = (!p.computed).then(|| p.key.static_name()).flatten()
                            else {
                                return Err(Stop::at(p.span.start, "a computed key"));
                            };
                            let name: &'a str = match name {
                                std::borrow::Cow::Borrowed(s) => s,
                                // A numeric key like `1:`; rare in durations, skip the field.
                                std::borrow::Cow::Owned(_) => continue,
                            };
                            let value = if p.method {
                                Value::Unknown(Stop::at(p.span.start, "a method"))
                            } else {
                                self.lazy(&p.value, d)
                            };
                            fields.retain(|(n, _)| *n != name);
                            fields.push((name, value));
                        }
                        ObjectPropertyKind::SpreadProperty(s) => {
                            match self.value(&s.argument, d)? {
                                Value::Object(more) => {
                                    for (name, value) in more {
                                        fields.retain(|(n, _)| *n != name);
                                        fields.push((name, value));
                                    }
                                }
                                _ => {
                                    return Err(Stop::at(
                                        s.span.start,
                                        "spread of something that is not an object",
                                    ))
                                }
                            }
                        }
                    }
                }
                Value::Object(fields)
            }
            Expression::StaticMemberExpression(m) => {
                let object = self.value(&m.object, d)?;
                self.member(object, m.property.name.as_str(), m.span.start)?
            }
            Expression::ComputedMemberExpression(m) => {
                let object = self.value(&m.object, d)?;
                match (object, without_wrappers(&m.expression)) {
                    (object, Expression::StringLiteral(s)) => {
                        self.member(object, s.value.as_str(), m.span.start)?
                    }
                    (Value::Array(items), index) => {
                        let i = self.number(index, d)?;
                        let item = (i.fract() == 0.0 && i >= 0.0)
                            .then(|| items.get(i as usize))
                            .flatten()
                            .cloned();
                        item.ok_or_else(|| {
                            Stop::at(m.span.start, format!("index {i} is outside the array"))
                        })?
                    }
                    _ => {
                        return Err(Stop::at(
                            m.span.start,
                            "this member access is not evaluated",
                        ))
                    }
                }
            }
            Expression::CallExpression(call) => self.call(call, d)?,
            Expression::NewExpression(_) => return Err(Stop::at(start, "a call is not evaluated")),
            Expression::ConditionalExpression(_) => {
                return Err(Stop::at(start, "a conditional is not evaluated"))
            }
            _ => return Err(Stop::at(start, "not a constant expression")),
        })
    }

    /// A field or element: evaluated now, but a failure is kept as [`Value::Unknown`] and only
    /// matters if the field is used.
    fn lazy(&mut self, expr: &'e Expression<'a>, depth: usize) -> Value<'a> {
        match self.value(expr, depth) {
            Ok(v) => v,
            Err(stop) => Value::Unknown(stop),
        }
    }

    fn member(&mut self, object: Value<'a>, name: &str, offset: u32) -> Result<Value<'a>, Stop> {
        match object {
            Value::Array(items) if name == "length" => Ok(Value::Number(items.len() as f64)),
            Value::Object(fields) => fields
                .into_iter()
                .rev()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v)
                .ok_or_else(|| Stop::at(offset, format!("no field `{name}`"))),
            Value::Unknown(stop) => Err(stop),
            other => Err(Stop::at(
                offset,
                format!("`.{name}` of {} is not evaluated", other.describe()),
            )),
        }
    }

    fn call(
        &mut self,
        call: &'e oxc_ast::ast::CallExpression<'a>,
        depth: usize,
    ) -> Result<Value<'a>, Stop> {
        let start = call.span.start;
        let Expression::StaticMemberExpression(callee) = without_wrappers(&call.callee) else {
            return Err(Stop::at(start, "a call is not evaluated"));
        };
        let method = callee.property.name.as_str();
        let args: Vec<&'e Expression<'a>> = call
            .arguments
            .iter()
            .map(|a| match a {
                Argument::SpreadElement(s) => Err(Stop::at(s.span.start, "a spread argument")),
                other => other
                    .as_expression()
                    .ok_or_else(|| Stop::at(start, "not an argument")),
            })
            .collect::<Result<_, _>>()?;
        if matches!(without_wrappers(&callee.object), Expression::Identifier(id) if id.name == "Math")
        {
            let mut numbers = Vec::with_capacity(args.len());
            for a in &args {
                numbers.push(self.number(a, depth)?);
            }
            let one = |f: fn(f64) -> f64| match numbers.as_slice() {
                [x] => Ok(Value::Number(f(*x))),
                _ => Err(Stop::at(
                    start,
                    format!("Math.{method} takes one number here"),
                )),
            };
            return match method {
                "round" => one(|x| (x + 0.5).floor()),
                "floor" => one(f64::floor),
                "ceil" => one(f64::ceil),
                "trunc" => one(f64::trunc),
                "abs" => one(f64::abs),
                "min" if !numbers.is_empty() => Ok(Value::Number(
                    numbers.iter().copied().fold(f64::INFINITY, f64::min),
                )),
                "max" if !numbers.is_empty() => Ok(Value::Number(
                    numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                )),
                _ => Err(Stop::at(start, format!("Math.{method} is not evaluated"))),
            };
        }
        let items = match self.value(&callee.object, depth)? {
            Value::Array(items) => items,
            Value::Unknown(stop) => return Err(stop),
            other => {
                return Err(Stop::at(
                    start,
                    format!("`.{method}()` of {} is not evaluated", other.describe()),
                ))
            }
        };
        match (method, args.as_slice()) {
            ("map", [f]) => {
                let f = Callback::of(f, 1)?;
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.apply(&f, &[item], depth)?);
                }
                Ok(Value::Array(out))
            }
            ("reduce", [f, rest @ ..]) if rest.len() <= 1 => {
                let f = Callback::of(f, 2)?;
                let mut items = items.into_iter();
                let mut acc = match rest.first() {
                    Some(init) => self.value(init, depth)?,
                    None => items.next().ok_or_else(|| {
                        Stop::at(start, "reduce of an empty array with no initial value")
                    })?,
                };
                for item in items {
                    acc = self.apply(&f, &[acc, item], depth)?;
                }
                Ok(acc)
            }
            _ => Err(Stop::at(start, format!("`.{method}()` is not evaluated"))),
        }
    }

    /// Evaluate a callback's body with its parameters bound to `args`.
    fn apply(
        &mut self,
        f: &Callback<'e, 'a>,
        args: &[Value<'a>],
        depth: usize,
    ) -> Result<Value<'a>, Stop> {
        let bound = f.params.len().min(args.len());
        for (name, value) in f.params.iter().zip(args) {
            self.scopes.push((name, value.clone()));
        }
        let result = self.value(f.body, depth + 1);
        self.scopes.truncate(self.scopes.len() - bound);
        result
    }
}

/// An arrow or function callback that returns one expression.
struct Callback<'e, 'a> {
    params: Vec<&'a str>,
    body: &'e Expression<'a>,
}

impl<'e, 'a> Callback<'e, 'a> {
    fn of(expr: &'e Expression<'a>, max_params: usize) -> Result<Self, Stop> {
        let start = expr.span().start;
        let not = |why: &str| Stop::at(start, why.to_string());
        let (params, body): (&'e oxc_ast::ast::FormalParameters<'a>, &'e Expression<'a>) =
            match without_wrappers(expr) {
                Expression::ArrowFunctionExpression(a) => {
                    let body = match a.get_expression() {
                        Some(e) => e,
                        None => a
                            .get_function_body()
                            .and_then(single_return)
                            .ok_or_else(|| {
                                not("a callback with more than a `return` is not evaluated")
                            })?,
                    };
                    (&a.params, body)
                }
                Expression::FunctionExpression(f) => {
                    let body = f.body.as_deref().and_then(single_return).ok_or_else(|| {
                        not("a callback with more than a `return` is not evaluated")
                    })?;
                    (&f.params, body)
                }
                _ => return Err(not("the callback is not an arrow or a function")),
            };
        if params.rest.is_some() || params.items.len() > max_params {
            return Err(not("the callback's parameters are not evaluated"));
        }
        let mut names = Vec::with_capacity(params.items.len());
        for p in &params.items {
            match &p.pattern {
                BindingPattern::BindingIdentifier(id) if p.initializer.is_none() => {
                    names.push(id.name.as_str())
                }
                _ => {
                    return Err(not(
                        "a destructured or defaulted parameter is not evaluated",
                    ))
                }
            }
        }
        Ok(Callback {
            params: names,
            body,
        })
    }
}

/// The expression of a body that is exactly `return <expression>;`.
fn single_return<'e, 'a>(body: &'e oxc_ast::ast::FunctionBody<'a>) -> Option<&'e Expression<'a>> {
    match body.statements.as_slice() {
        [Statement::ReturnStatement(r)] => r.argument.as_ref(),
        _ => None,
    }
}

/// Methods that change an array or object in place.
const MUTATING: [&str; 9] = [
    "push",
    "pop",
    "shift",
    "unshift",
    "splice",
    "sort",
    "reverse",
    "fill",
    "copyWithin",
];

/// The first place where one of `names` is changed after its declaration: a mutating method call,
/// an assignment or update through it, or `delete` of a member.
fn mutated<'a>(
    tokens: &[Token],
    code: &str,
    names: &HashSet<&'a str>,
    module: &Module<'_, 'a>,
) -> Option<(&'a str, u32)> {
    if names.is_empty() {
        return None;
    }
    let text = |t: &Token| code.get(t.start() as usize..t.end() as usize).unwrap_or("");
    let declared: HashSet<u32> = names
        .iter()
        .filter_map(|n| module.consts.get(n).map(|(_, at)| *at))
        .collect();
    for (i, token) in tokens.iter().enumerate() {
        if !token.kind().is_identifier_name() {
            continue;
        }
        let Some(&name) = names.get(text(token)) else {
            continue;
        };
        if declared.contains(&token.start()) {
            continue;
        }
        // `x.name` is another object's property, not this binding.
        if i > 0 && matches!(tokens[i - 1].kind(), Kind::Dot | Kind::QuestionDot) {
            continue;
        }
        if i > 0
            && matches!(
                tokens[i - 1].kind(),
                Kind::Plus2 | Kind::Minus2 | Kind::Delete
            )
        {
            return Some((name, token.start()));
        }
        // Walk the member chain: `.a`, `[…]`, `.push(`.
        let mut j = i + 1;
        loop {
            match tokens.get(j).map(Token::kind) {
                Some(Kind::Dot | Kind::QuestionDot) => {
                    let Some(property) = tokens.get(j + 1) else {
                        break;
                    };
                    if MUTATING.contains(&text(property))
                        && tokens.get(j + 2).map(Token::kind) == Some(Kind::LParen)
                    {
                        return Some((name, token.start()));
                    }
                    j += 2;
                }
                Some(Kind::LBrack) => {
                    let mut open = 0usize;
                    while let Some(t) = tokens.get(j) {
                        match t.kind() {
                            Kind::LBrack => open += 1,
                            Kind::RBrack => {
                                open -= 1;
                                if open == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        j += 1;
                    }
                    j += 1;
                }
                _ => break,
            }
        }
        if let Some(next) = tokens.get(j) {
            if next.kind().is_assignment_operator()
                || matches!(next.kind(), Kind::Plus2 | Kind::Minus2)
            {
                return Some((name, token.start()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
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
        let reduce = "const script_x7 = [ { type: \"intro\", frames: 40 }, { type: \"hold\", frames: 70 } ];\n\
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
}
