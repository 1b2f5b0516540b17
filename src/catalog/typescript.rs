//! Catalogs as canonical.ts-style TypeScript modules, read by literal evaluation only.
//!
//! Takes the file path and, optionally, the name of the array that is the catalog; gives its
//! templates. The file is parsed with oxc and never executed: strings, numbers, booleans, null,
//! arrays, objects and template strings without substitutions are data; `as const`, `satisfies`,
//! type assertions and parentheses are unwrapped; an identifier or a spread naming another top-level
//! `const` of literal data in the same file is resolved. Anything else (a call, an unknown
//! identifier, a computed key) is not data: that field or entry is skipped with a warning at its
//! file:line:col, and the rest of the file is still read. A syntax error is an error.
//!
//! Which arrays are the catalog: the one named by `catalog.export`, or by default every top-level
//! `const` whose initializer is an array literal holding object literals with a string `id`. An entry
//! reachable through two arrays (`all = [...a, ...b]` and `b`) counts once.
//!
//! Long because the literal evaluator is one piece with its limits, and its tests (a third of the
//! file) pin every shape of a real catalog.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    ArrayExpressionElement, BindingPattern, Declaration, Expression, ObjectExpression,
    ObjectPropertyKind, Statement, UnaryOperator, VariableDeclaration, VariableDeclarationKind,
};
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType};
use serde_json::{Map, Number, Value};

use super::{RawTemplate, Template};
use crate::ast::{export_name, without_wrappers};
use crate::diagnostic::{warning, Diagnostics};
use crate::error::{wording, Error, Result};
use crate::input::read_text;
use crate::location::LineIndex;
use crate::parse_guard;

/// Deepest chain of references followed (`a` → `b` → …): real catalogs use two or three.
const MAX_REFERENCE_DEPTH: usize = 256;
/// Most values evaluated for one file: far above a real catalog (a 100,000-entry catalog of 20 fields
/// is 2 million), far below what a few doubling references would expand to.
const MAX_VALUES: usize = 5_000_000;

/// Fields without which an entry cannot be a template; if one of them is skipped as non-literal,
/// the whole entry is skipped (with a warning) instead of failing the build.
const REQUIRED: [&str; 4] = ["id", "name", "supportedFormats", "primaryUse"];

/// Read the catalog array of the TypeScript module at `path`: the one `export` names, else the
/// only array of object literals with a string `id`. Values that are not literal data are warned
/// about.
pub fn read(
    path: &Path,
    export: Option<&str>,
    diagnostics: &mut Diagnostics,
) -> Result<Vec<Template>> {
    let text = read_text(path)?;
    parse(path, &text, export, diagnostics)
}

/// Parse TypeScript text; `path` names it in locations and picks TS or TSX by extension.
pub fn parse(
    path: &Path,
    text: &str,
    export: Option<&str>,
    diagnostics: &mut Diagnostics,
) -> Result<Vec<Template>> {
    if let Err(offset) = parse_guard::check(text) {
        return Err(wording::nested_too_deep(
            LineIndex::new(text).locate(path, offset),
            parse_guard::MAX_DEPTH,
        ));
    }
    // The parser and the evaluator recurse as deep as the source nests: give them a big stack.
    parse_guard::with_parse_stack(|| parse_literals(path, text, export, diagnostics))
        .map_err(|e| wording::parser_not_started(path, e))?
}

fn parse_literals(
    path: &Path,
    text: &str,
    export: Option<&str>,
    diagnostics: &mut Diagnostics,
) -> Result<Vec<Template>> {
    let allocator = Allocator::default();
    let source_type = SourceType::from_path(path).unwrap_or_else(|_| SourceType::ts());
    let parsed = parse_guard::guarded(|| Parser::new(&allocator, text, source_type).parse())
        .map_err(|panic| wording::parser_failed(path, panic))?;
    let index = LineIndex::new(text);
    if let Some(error) = parsed.diagnostics.errors().next() {
        let offset = error.labels.first().map_or(0, |l| l.offset() as usize);
        return Err(wording::typescript_syntax(
            index.locate(path, offset),
            &error.message,
        ));
    }
    let module = Module::collect(&parsed.program.body);
    let mut eval = Evaluator {
        path,
        index: &index,
        consts: &module.consts,
        diagnostics,
        resolving: Vec::new(),
        warned: HashSet::new(),
        quiet: false,
        values: 0,
        stop: None,
    };

    let arrays: Vec<&Expression> = match export {
        Some(name) => {
            let local = module.exported.get(name).map_or(name, String::as_str);
            let init = module
                .consts
                .get(local)
                .filter(|e| matches!(without_wrappers(e), Expression::ArrayExpression(_)))
                .ok_or_else(|| wording::no_such_export(path, name))?;
            vec![*init]
        }
        None => module
            .order
            .iter()
            .map(|name| module.consts[name.as_str()])
            .filter(|init| eval.looks_like_catalog(init))
            .collect(),
    };

    let refused = |eval: &mut Evaluator<'_, '_, '_>| match eval.stop.take() {
        Some((offset, why)) => Err(Error::input(index.locate(path, offset as usize), why)),
        None => Ok(()),
    };
    refused(&mut eval)?;
    if arrays.is_empty() {
        return Err(wording::no_catalog_array(path));
    }
    let mut seen = HashSet::new();
    let mut templates = Vec::new();
    for array in arrays {
        let items = eval.items(array);
        refused(&mut eval)?;
        for item in items {
            let start = item.span().start;
            if !seen.insert(start) {
                continue;
            }
            let at = index.locate(path, start as usize);
            let Expression::ObjectExpression(object) = without_wrappers(item) else {
                eval.warn(start, "catalog entry is not an object literal; skipped");
                continue;
            };
            let (value, skipped) = eval.object(object);
            refused(&mut eval)?;
            if let Some(field) = skipped.iter().find(|f| REQUIRED.contains(&f.as_str())) {
                eval.warn(
                    start,
                    &format!("catalog entry skipped: its {field:?} is not literal data"),
                );
                continue;
            }
            let raw: RawTemplate = serde_json::from_value(Value::Object(value))
                .map_err(|e| Error::input(at.clone(), e.to_string()))?;
            templates.push(raw.into_template(at)?);
        }
    }
    Ok(templates)
}

/// The top-level `const` declarations of a module, in order, and its `export { a as b }` aliases.
struct Module<'e, 'a> {
    consts: HashMap<&'a str, &'e Expression<'a>>,
    order: Vec<String>,
    exported: HashMap<String, String>,
}

impl<'e, 'a> Module<'e, 'a> {
    fn collect(body: &'e [Statement<'a>]) -> Self {
        let mut module = Module {
            consts: HashMap::new(),
            order: Vec::new(),
            exported: HashMap::new(),
        };
        for statement in body {
            match statement {
                Statement::VariableDeclaration(decl) => module.add(decl),
                Statement::ExportDeclaration(export) => {
                    if let Declaration::VariableDeclaration(decl) = &export.declaration {
                        module.add(decl);
                    }
                }
                Statement::ExportNamedDeclaration(export) => {
                    for spec in &export.specifiers {
                        module.exported.insert(
                            export_name(&spec.exported).to_string(),
                            export_name(&spec.local).to_string(),
                        );
                    }
                }
                _ => {}
            }
        }
        module
    }

    fn add(&mut self, decl: &'e VariableDeclaration<'a>) {
        if decl.kind != VariableDeclarationKind::Const {
            return;
        }
        for declarator in &decl.declarations {
            let (BindingPattern::BindingIdentifier(id), Some(init)) =
                (&declarator.id, &declarator.init)
            else {
                continue;
            };
            let name = id.name.as_str();
            if self.consts.insert(name, init).is_none() {
                self.order.push(name.to_string());
            }
        }
    }
}

/// Why a value is not data, and where.
struct NotData {
    offset: u32,
    why: String,
}

struct Evaluator<'m, 'e, 'a> {
    path: &'m Path,
    index: &'m LineIndex<'m>,
    consts: &'m HashMap<&'a str, &'e Expression<'a>>,
    diagnostics: &'m mut Diagnostics,
    /// Names being resolved, to refuse `const a = [...a]` style cycles.
    resolving: Vec<&'a str>,
    /// Each warning once, even when an array is reached through several others.
    warned: HashSet<(u32, String)>,
    /// While probing which arrays are catalogs, nothing is reported.
    quiet: bool,
    /// Values (and array items) evaluated so far, against [`MAX_VALUES`].
    values: usize,
    /// A limit was exceeded: the whole file is refused, here.
    stop: Option<(u32, String)>,
}

impl<'m, 'e, 'a> Evaluator<'m, 'e, 'a> {
    /// Count `n` more values; false (and the file refused) once past the limit.
    fn spend(&mut self, n: usize, offset: u32) -> bool {
        self.values = self.values.saturating_add(n);
        if self.values > MAX_VALUES && self.stop.is_none() {
            self.stop = Some((
                offset,
                format!("evaluates to more than {MAX_VALUES} values (references that expand each other?); not read"),
            ));
        }
        self.stop.is_none()
    }

    /// Follow one more reference; false (and the file refused) past the depth limit.
    fn deeper(&mut self, offset: u32) -> bool {
        if self.resolving.len() >= MAX_REFERENCE_DEPTH && self.stop.is_none() {
            self.stop = Some((
                offset,
                format!("references nest more than {MAX_REFERENCE_DEPTH} deep; not read"),
            ));
        }
        self.stop.is_none()
    }

    fn warn(&mut self, offset: u32, message: &str) {
        if !self.quiet && self.warned.insert((offset, message.to_string())) {
            let at = self.index.locate(self.path, offset as usize);
            self.diagnostics.add(warning::catalog_not_data(at, message));
        }
    }

    /// The const of literal data `name` refers to, if any.
    fn resolve(&self, name: &str) -> Option<&'e Expression<'a>> {
        self.consts.get(name).copied()
    }

    /// An array literal with at least one object literal holding a string `id`.
    fn looks_like_catalog(&mut self, init: &'e Expression<'a>) -> bool {
        if !matches!(without_wrappers(init), Expression::ArrayExpression(_)) {
            return false;
        }
        // Probe quietly: the real pass warns, once, in file order.
        self.quiet = true;
        let items = self.items(init);
        self.quiet = false;
        items.iter().any(|item| match without_wrappers(item) {
            Expression::ObjectExpression(object) => object.properties.iter().any(|p| match p {
                ObjectPropertyKind::ObjectProperty(p) => {
                    !p.computed
                        && p.key.is_specific_static_name("id")
                        && matches!(without_wrappers(&p.value), Expression::StringLiteral(_))
                }
                ObjectPropertyKind::SpreadProperty(_) => false,
            }),
            _ => false,
        })
    }

    /// The element expressions of an array, with spreads of literal arrays flattened.
    fn items(&mut self, array: &'e Expression<'a>) -> Vec<&'e Expression<'a>> {
        let mut out = Vec::new();
        let Expression::ArrayExpression(array) = without_wrappers(array) else {
            return out;
        };
        for element in &array.elements {
            match element {
                ArrayExpressionElement::SpreadElement(spread) => {
                    let target = match without_wrappers(&spread.argument) {
                        Expression::Identifier(id) => {
                            Some((id.name.as_str(), self.resolve(id.name.as_str())))
                        }
                        _ => None,
                    };
                    match target {
                        Some((name, Some(init)))
                            if matches!(without_wrappers(init), Expression::ArrayExpression(_))
                                && !self.resolving.contains(&name) =>
                        {
                            if !self.deeper(spread.span.start) {
                                return out;
                            }
                            self.resolving.push(name);
                            let more = self.items(init);
                            self.resolving.pop();
                            if !self.spend(more.len(), spread.span.start) {
                                return out;
                            }
                            out.extend(more);
                        }
                        _ => {
                            let what = match target {
                                Some((name, _)) => format!("spread of `{name}` is not a literal array in this file; skipped"),
                                None => "spread of a non-literal value; skipped".to_string(),
                            };
                            self.warn(spread.span.start, &what);
                        }
                    }
                }
                ArrayExpressionElement::Elision(_) => {}
                other => {
                    if let Some(expr) = other.as_expression() {
                        if !self.spend(1, expr.span().start) {
                            return out;
                        }
                        out.push(expr);
                    }
                }
            }
        }
        out
    }

    /// An object literal's data, and the names of fields skipped as non-literal (warned about).
    fn object(&mut self, object: &'e ObjectExpression<'a>) -> (Map<String, Value>, Vec<String>) {
        let mut map = Map::new();
        let mut skipped = Vec::new();
        for property in &object.properties {
            match property {
                ObjectPropertyKind::ObjectProperty(p) => {
                    let name = match p.key.static_name() {
                        Some(name) if !p.computed => name.into_owned(),
                        _ => {
                            self.warn(
                                p.span.start,
                                "computed property key is not literal data; field skipped",
                            );
                            continue;
                        }
                    };
                    if p.method {
                        self.warn(
                            p.span.start,
                            &format!("method `{name}` is not literal data; field skipped"),
                        );
                        skipped.push(name);
                        continue;
                    }
                    match self.value(&p.value) {
                        Ok(value) => {
                            map.insert(name, value);
                        }
                        Err(not) => {
                            self.warn(not.offset, &format!("field `{name}` skipped: {}", not.why));
                            skipped.push(name);
                        }
                    }
                }
                ObjectPropertyKind::SpreadProperty(spread) => match self.value(&spread.argument) {
                    Ok(Value::Object(fields)) => map.extend(fields),
                    Ok(_) => self.warn(spread.span.start, "spread of a non-object value; skipped"),
                    Err(not) => {
                        self.warn(not.offset, &format!("object spread skipped: {}", not.why))
                    }
                },
            }
        }
        (map, skipped)
    }

    /// A literal value, or why it is not one.
    fn value(&mut self, expr: &'e Expression<'a>) -> std::result::Result<Value, NotData> {
        let expr = without_wrappers(expr);
        let not = |why: &str| NotData {
            offset: expr.span().start,
            why: why.to_string(),
        };
        if !self.spend(1, expr.span().start) {
            return Err(not("not read (a limit was exceeded)"));
        }
        Ok(match expr {
            Expression::StringLiteral(s) => Value::String(s.value.as_str().to_string()),
            Expression::BooleanLiteral(b) => Value::Bool(b.value),
            Expression::NullLiteral(_) => Value::Null,
            Expression::NumericLiteral(n) => number(n.value),
            Expression::UnaryExpression(u) if u.operator == UnaryOperator::UnaryNegation => {
                match without_wrappers(&u.argument) {
                    Expression::NumericLiteral(n) => number(-n.value),
                    _ => return Err(not("only numbers can be negated in literal data")),
                }
            }
            Expression::TemplateLiteral(t) => {
                if !t.expressions.is_empty() {
                    return Err(not(
                        "a template string with ${…} substitutions is not literal data",
                    ));
                }
                let cooked = t.quasis.first().and_then(|q| q.value.cooked.as_ref());
                Value::String(cooked.map(|c| c.as_str().to_string()).unwrap_or_default())
            }
            Expression::ArrayExpression(_) => {
                let mut values = Vec::new();
                for item in self.items(expr) {
                    values.push(self.value(item)?);
                }
                Value::Array(values)
            }
            Expression::ObjectExpression(o) => {
                let (map, _) = self.object(o);
                Value::Object(map)
            }
            Expression::Identifier(id) => {
                let name = id.name.as_str();
                match self.resolve(name) {
                    Some(init) if !self.resolving.contains(&name) => {
                        if !self.deeper(id.span.start) {
                            return Err(not("not read (a limit was exceeded)"));
                        }
                        self.resolving.push(name);
                        let value = self.value(init);
                        self.resolving.pop();
                        value?
                    }
                    _ => {
                        return Err(not(&format!(
                            "`{name}` is not a const of literal data in this file"
                        )))
                    }
                }
            }
            Expression::CallExpression(_) | Expression::NewExpression(_) => {
                return Err(not("a call is not literal data"))
            }
            _ => return Err(not("not literal data")),
        })
    }
}

/// JSON number: integral values as integers so they deserialize into integer fields.
fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        Value::Number(Number::from(v as i64))
    } else {
        Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Source;
    use crate::video::VideoFormat;

    fn parse_str(text: &str, export: Option<&str>) -> Result<Vec<Template>> {
        parse(
            Path::new("canonical.ts"),
            text,
            export,
            &mut Diagnostics::default(),
        )
    }

    const ENTRY: &str = r#"{ id: "a", name: 'A', source: { type: "db", dbId: `u-1` }, duration: 120,
      supportedFormats: ["landscape", "square"] as const, primaryUse: "Intro", }"#;

    #[test]
    fn literals_type_wrappers_and_spreads_evaluate() {
        let text = format!(
            "import type {{ X }} from './x';\n\
             const FORMATS = ['portrait'] as const;\n\
             const a = [{ENTRY}] satisfies X[];\n\
             const b: X[] = [\n  {{ id: 'b', name: \"B\", supportedFormats: FORMATS, primaryUse: (\"Outro\"), duration: <number>90, userPhrases: [], }},\n];\n\
             export const all = [...a, ...b];\n\
             export function helper() {{ return all.length; }}\n"
        );
        let t = parse_str(&text, None).unwrap();
        let ids: Vec<&str> = t.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"], "entries reachable twice count once");
        assert_eq!(
            t[0].source,
            Source::Db {
                db_id: "u-1".into()
            }
        );
        assert_eq!(
            t[0].supported_formats,
            [VideoFormat::Landscape, VideoFormat::Square]
        );
        assert_eq!(t[1].supported_formats, [VideoFormat::Portrait]);
        assert_eq!(t[1].duration, Some(90));
        assert_eq!(t[1].at.to_string(), "canonical.ts:6:3");
    }

    #[test]
    fn an_export_name_selects_one_array() {
        let text = format!("const a = [{ENTRY}];\nconst b = [{{ id: 'b', name: 'B', supportedFormats: ['square'], primaryUse: 'x' }}];\nexport {{ b as catalog }};\n");
        let t = parse_str(&text, Some("catalog")).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].id, "b");
        let err = parse_str(&text, Some("nope")).unwrap_err();
        assert_eq!(err.to_string(), "canonical.ts: catalog.export = \"nope\": no top-level const array of that name in this file");
    }

    #[test]
    fn non_literal_fields_and_entries_are_skipped_not_fatal() {
        let text = "const other = {};\n\
            const registry = Object.values(other).map((m) => ({ ...m }));\n\
            const list = [\n\
              ...registry,\n\
              { id: 'a', name: 'A', supportedFormats: ['square'], primaryUse: 'p', keywords: makeKeywords() },\n\
              { id: 'b', name: label(), supportedFormats: ['square'], primaryUse: 'p' },\n\
              { id: 'c', name: 'C', supportedFormats: ['square'], primaryUse: `x ${1}` },\n\
            ];\n";
        let t = parse_str(text, None).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].id, "a");
        assert!(t[0].keywords.is_empty());
    }

    #[test]
    fn syntax_errors_point_at_the_place() {
        let err = parse_str(
            "const a = [\n  { id: 'x', name: 'unterminated },\n];\n",
            None,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("canonical.ts:2:20: TypeScript syntax error: Unterminated string"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_literal_value_is_an_error_at_its_entry() {
        let err = parse_str("const a = [\n  { id: 'x', name: 'X', supportedFormats: ['vertical'], primaryUse: 'p' },\n];\n", None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("canonical.ts:2:3: unknown variant `vertical`"),
            "{err}"
        );
    }

    #[test]
    fn references_that_double_or_chain_are_refused_at_their_place() {
        let mut doubling = String::from(
            "const o0 = [{ id: 'a', name: 'A', supportedFormats: ['square'], primaryUse: 'p' }];\n",
        );
        for i in 1..40 {
            doubling.push_str(&format!("const o{i} = [...o{}, ...o{}];\n", i - 1, i - 1));
        }
        let err = parse_str(&doubling, Some("o39")).unwrap_err().to_string();
        assert!(
            err.contains("evaluates to more than 5000000 values"),
            "{err}"
        );
        assert!(err.starts_with("canonical.ts:"), "{err}");
        let mut objects = String::from("const v0 = { x: 1 };\n");
        for i in 1..40 {
            objects.push_str(&format!("const v{i} = [v{}, v{}];\n", i - 1, i - 1));
        }
        objects.push_str("const list = [{ id: 'a', name: 'A', supportedFormats: ['square'], primaryUse: 'p', extra: v39 }];\n");
        let err = parse_str(&objects, None).unwrap_err().to_string();
        assert!(err.contains("evaluates to more than"), "{err}");
        let mut chain = String::from("const c0 = 'A';\n");
        for i in 1..100_000 {
            chain.push_str(&format!("const c{i} = c{};\n", i - 1));
        }
        chain.push_str("const list = [{ id: 'a', name: c99999, supportedFormats: ['square'], primaryUse: 'p' }];\n");
        let err = parse_str(&chain, None).unwrap_err().to_string();
        assert!(err.contains("references nest more than 256 deep"), "{err}");
        assert!(err.starts_with("canonical.ts:"), "{err}");
    }

    #[test]
    fn cycles_do_not_hang() {
        let t = parse_str("const a = [...b, { id: 'a', name: 'A', supportedFormats: ['square'], primaryUse: 'p' }];\nconst b = [...a];\n", None).unwrap();
        assert_eq!(t.len(), 1);
    }
}
