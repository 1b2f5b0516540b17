//! The evaluator: constant expressions of a module, values and callbacks, bounded in depth and work.
//!
//! Takes a module's top-level bindings; gives a number (or a value) for an expression, or where and
//! why it stopped. Callbacks of `.map` and `.reduce` are evaluated with their parameters bound.
//!
//! Long because it is one `match` over expression kinds and the two callback forms; split, that
//! match would be scattered.

use std::collections::{HashMap, HashSet};

use oxc_ast::ast::{
    Argument, ArrayExpressionElement, BinaryOperator, BindingPattern, Expression,
    ObjectPropertyKind, Statement, UnaryOperator,
};
use oxc_span::GetSpan;

use super::{Module, MAX_DEPTH, MAX_WORK};
use crate::ast::without_wrappers;

/// Why evaluation stopped, and where.
#[derive(Debug, Clone)]
pub(super) struct Stop {
    pub(super) offset: u32,
    pub(super) why: String,
}

impl Stop {
    pub(super) fn at(offset: u32, why: impl Into<String>) -> Stop {
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

pub(super) struct Evaluator<'m, 'e, 'a> {
    module: &'m Module<'e, 'a>,
    memo: HashMap<&'a str, Value<'a>>,
    resolving: Vec<&'a str>,
    /// Consts the result depends on (checked for mutation afterwards).
    pub(super) used: HashSet<&'a str>,
    /// Callback parameters in scope, innermost last.
    scopes: Vec<(&'a str, Value<'a>)>,
    work: usize,
}

impl<'m, 'e, 'a> Evaluator<'m, 'e, 'a> {
    pub(super) fn new(module: &'m Module<'e, 'a>) -> Self {
        Evaluator {
            module,
            memo: HashMap::new(),
            resolving: Vec::new(),
            used: HashSet::new(),
            scopes: Vec::new(),
            work: 0,
        }
    }

    pub(super) fn number(&mut self, expr: &'e Expression<'a>, depth: usize) -> Result<f64, Stop> {
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
    pub(super) fn reference(
        &mut self,
        name: &'a str,
        offset: u32,
        depth: usize,
    ) -> Result<f64, Stop> {
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
