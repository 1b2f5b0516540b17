//! What a module exports as its duration, and how to make it runnable on its own.
//!
//! Takes a parsed module and the [`DurationExport`] pattern; gives the matching exports (name and
//! place, in source order) and the edits that turn the module into one QuickJS can run with no
//! loader: each import becomes a stub binding (`const x = __import("remotion").x`), re-exports from
//! other modules are removed (a duration re-exported from elsewhere is not read), and every
//! statement that declares a duration export is wrapped in `__measure(1)` / `__measure(0)`, so the
//! stubs can tell whether the duration's own computation touched them. Edits keep the text on the
//! same lines.

use oxc_ast::ast::{
    BindingPattern, Declaration, ExportDefaultDeclarationKind, Expression,
    ImportDeclarationSpecifier, ModuleDeclaration, Program, Statement,
};
use oxc_span::GetSpan;

use super::DurationExport;
use crate::ast::export_name;

/// A duration export found in the module.
#[derive(Debug, Clone)]
pub(super) struct Found {
    /// The exported name.
    pub name: String,
    /// Where the exported name is (byte offset).
    pub offset: u32,
    /// Why it cannot be read by running the module, when that is known without running it.
    pub unreadable: Option<&'static str>,
    /// The top-level binding that holds its value.
    pub local: String,
}

/// The module's duration exports and the edits that make it runnable.
pub(super) struct Plan {
    pub found: Vec<Found>,
    /// Non-overlapping `(start, end, replacement)` edits of the source, in order.
    pub edits: Vec<(u32, u32, String)>,
    /// The bodies of the module's top-level functions (components, mostly), each replaced by
    /// `__unreached()`: the top level of a scene defines them and never calls them, so the engine
    /// need not compile them; if one is called after all, the sandbox says so and the module is run
    /// whole. Most of a scene's code is in these bodies.
    pub bodies: Vec<(u32, u32, String)>,
    /// The edits that turn the module's export syntax into plain declarations (`export const a` →
    /// `const a`, `export { a as b }` gone, `export default x` → `const __default = x`), for running
    /// it as a script: a script's bindings are garbage once it returns, a module's stay loaded.
    pub unexport: Vec<(u32, u32, String)>,
    /// Top-level `const`s of pure literal data (`const CAPTIONS = ["…", …]`), with their names: they
    /// cannot throw or change anything, so with the bodies skipped, one that nothing else names is
    /// left out too.
    pub data: Vec<(u32, u32, Vec<String>)>,
}

/// Function bodies shorter than this are left as they are: cheap to compile, and often the helpers
/// a duration's computation calls.
const SHORTEST_SKIPPED_BODY: u32 = 96;

/// Scan `program` for exports matching `export`.
pub(super) fn plan(program: &Program<'_>, export: &DurationExport) -> Plan {
    let mut found: Vec<Found> = Vec::new();
    let mut edits: Vec<(u32, u32, String)> = Vec::new();
    let mut unexport: Vec<(u32, u32, String)> = Vec::new();
    // Local names exported as the duration (`export { total as durationInFrames }`), to find the
    // statement that declares them.
    let mut locals: Vec<&str> = Vec::new();
    for (index, statement) in program.body.iter().enumerate() {
        let Some(module) = statement.as_module_declaration() else {
            continue;
        };
        match module {
            ModuleDeclaration::ImportDeclaration(import) => {
                edits.push((
                    import.span.start,
                    import.span.end,
                    stub_import(index, import),
                ));
            }
            ModuleDeclaration::ExportDeclaration(e) => {
                let unreadable = match &e.declaration {
                    Declaration::FunctionDeclaration(_) => Some("exported as a function"),
                    Declaration::ClassDeclaration(_) => Some("exported as a class"),
                    _ => None,
                };
                for (name, offset) in declared(&e.declaration) {
                    if export.matches(name) {
                        found.push(Found {
                            name: name.to_string(),
                            offset,
                            unreadable,
                            local: name.to_string(),
                        });
                    }
                }
                unexport.push((e.span.start, e.declaration.span().start, String::new()));
            }
            ModuleDeclaration::ExportDefaultDeclaration(e) => {
                let named = match &e.declaration {
                    ExportDefaultDeclarationKind::FunctionDeclaration(f) => f.id.is_some(),
                    ExportDefaultDeclarationKind::ClassDeclaration(c) => c.id.is_some(),
                    _ => false,
                };
                let keyword = if named { "" } else { "const __default = " };
                unexport.push((e.span.start, e.declaration.span().start, keyword.into()));
            }
            ModuleDeclaration::ExportNamedDeclaration(e) => {
                for spec in &e.specifiers {
                    let name = export_name(&spec.exported);
                    if export.matches(name) && spec.export_kind.is_value() {
                        let local = export_name(&spec.local);
                        found.push(Found {
                            name: name.to_string(),
                            offset: spec.span.start,
                            // An imported name is a stub here, never a number.
                            unreadable: imported(program, local)
                                .then_some("imported from another module, which is not read"),
                            local: local.to_string(),
                        });
                        locals.push(local);
                    }
                }
                unexport.push((e.span.start, e.span.end, String::new()));
            }
            ModuleDeclaration::ExportFromDeclaration(e) => {
                for spec in &e.specifiers {
                    let name = export_name(&spec.exported);
                    if export.matches(name) {
                        found.push(Found {
                            name: name.to_string(),
                            offset: spec.span.start,
                            unreadable: Some("re-exported from another module, which is not read"),
                            local: String::new(),
                        });
                    }
                }
                edits.push((e.span.start, e.span.end, String::new()));
            }
            ModuleDeclaration::ExportAllDeclaration(e) => {
                edits.push((e.span.start, e.span.end, String::new()));
            }
            ModuleDeclaration::TSExportAssignment(e) => {
                unexport.push((e.span.start, e.span.end, String::new()));
            }
            ModuleDeclaration::TSNamespaceExportDeclaration(e) => {
                unexport.push((e.span.start, e.span.end, String::new()));
            }
        }
    }
    // Wrap the statements that compute a duration export in measuring markers.
    for statement in &program.body {
        let declares = match statement {
            Statement::ExportDeclaration(e) => declared(&e.declaration)
                .iter()
                .any(|(name, _)| export.matches(name) || locals.contains(name)),
            Statement::VariableDeclaration(d) => d.declarations.iter().any(|d| {
                binding_names(&d.id)
                    .iter()
                    .any(|(name, _)| locals.contains(name))
            }),
            _ => false,
        };
        if declares {
            let span = statement.span();
            edits.push((span.start, span.start, "__measure(1);".into()));
            edits.push((span.end, span.end, ";__measure(0);".into()));
        }
    }
    edits.sort_by_key(|e| (e.0, e.1));
    let mut bodies = Vec::new();
    let mut data = Vec::new();
    for statement in &program.body {
        top_level_bodies(statement, &mut bodies);
        if let Statement::VariableDeclaration(d) = statement {
            if let Some(names) = literal_data(d) {
                data.push((d.span.start, d.span.end, names));
            }
        }
    }
    Plan {
        found,
        edits,
        bodies,
        unexport,
        data,
    }
}

impl Plan {
    /// The module as it runs: with the function bodies skipped and the unused literal data left
    /// out (`skip`), or whole (bar the imports and re-exports every run replaces); as a script
    /// (`script`: export syntax removed) or as a module.
    pub fn runnable(&self, code: &str, skip: bool, script: bool) -> String {
        let mut edits = self.edits.clone();
        if script {
            edits.extend(self.unexport.iter().cloned());
        }
        if skip {
            edits.extend(self.bodies.iter().cloned());
        }
        edits.sort_by_key(|e| (e.0, e.1));
        let runnable = apply(code, &edits);
        if !skip {
            return runnable;
        }
        // Names as the running code mentions them: a literal `const` nothing names is dead (the
        // exports' own bindings are read at the end of a script, whatever the text says).
        let read = |n: &String| self.found.iter().any(|f| &f.local == n);
        let unused: Vec<(u32, u32, String)> = self
            .data
            .iter()
            .filter(|(_, _, names)| {
                names
                    .iter()
                    .all(|n| !read(n) && mentions(&runnable, n) == 1)
            })
            .map(|&(start, end, _)| (start, end, String::new()))
            .collect();
        if unused.is_empty() {
            return runnable;
        }
        edits.extend(unused);
        edits.sort_by_key(|e| (e.0, e.1));
        apply(code, &edits)
    }
}

/// The bodies of the functions a top-level statement defines: function declarations (exported or
/// not), and functions that are the initializer, or an argument of the initializer's call, of a
/// top-level variable (`const Scene = () => …`, `const Card = React.memo(function Card() { … })`).
fn top_level_bodies(statement: &Statement<'_>, out: &mut Vec<(u32, u32, String)>) {
    match statement {
        Statement::FunctionDeclaration(f) => function_body(f, out),
        Statement::ExportDeclaration(e) => match &e.declaration {
            Declaration::FunctionDeclaration(f) => function_body(f, out),
            Declaration::VariableDeclaration(d) => variable_bodies(d, out),
            _ => {}
        },
        Statement::ExportDefaultDeclaration(e) => match &e.declaration {
            ExportDefaultDeclarationKind::FunctionDeclaration(f) => function_body(f, out),
            kind => {
                if let Some(expr) = kind.as_expression() {
                    expression_bodies(expr, out);
                }
            }
        },
        Statement::VariableDeclaration(d) => variable_bodies(d, out),
        _ => {}
    }
}

fn variable_bodies(d: &oxc_ast::ast::VariableDeclaration<'_>, out: &mut Vec<(u32, u32, String)>) {
    for declarator in &d.declarations {
        if let Some(init) = &declarator.init {
            expression_bodies(init, out);
        }
    }
}

/// A function expression's parameters and body, or those of the functions passed to a call
/// (`memo(() => …)`).
fn expression_bodies(expr: &Expression<'_>, out: &mut Vec<(u32, u32, String)>) {
    match crate::ast::without_wrappers(expr) {
        // The whole arrow: never called, its parameters are never bound either.
        Expression::ArrowFunctionExpression(a) if a.body.span().size() >= SHORTEST_SKIPPED_BODY => {
            out.push((a.span.start, a.span.end, "(() => __unreached())".into()));
        }
        Expression::FunctionExpression(f) => function_body(f, out),
        Expression::CallExpression(call) => {
            for argument in &call.arguments {
                if let Some(arg) = argument.as_expression() {
                    match crate::ast::without_wrappers(arg) {
                        Expression::ArrowFunctionExpression(_)
                        | Expression::FunctionExpression(_) => expression_bodies(arg, out),
                        _ => {}
                    }
                }
            }
        }
        _ => {}
    }
}

/// A function's parameters and body (its return type between them too): never called, its
/// parameters' destructuring and defaults are never run either, and they cost the engine as much
/// to compile as a small body.
fn function_body(f: &oxc_ast::ast::Function<'_>, out: &mut Vec<(u32, u32, String)>) {
    if let Some(body) = &f.body {
        if body.span.size() >= SHORTEST_SKIPPED_BODY {
            out.push((
                f.params.span.start,
                body.span.end,
                "() { __unreached(); }".into(),
            ));
        }
    }
}

/// Apply `edits` to `code`.
pub(super) fn apply(code: &str, edits: &[(u32, u32, String)]) -> String {
    let mut out = String::with_capacity(code.len() + 64 * edits.len());
    let mut at = 0usize;
    for (start, end, replacement) in edits {
        let (start, end) = (*start as usize, *end as usize);
        if start < at || end > code.len() {
            continue; // overlapping or out of range: never produced by `plan`
        }
        out.push_str(&code[at..start]);
        out.push_str(replacement);
        // Keep the replaced text's line breaks, so every line stays where it was.
        let breaks = code.as_bytes()[start..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        out.extend(std::iter::repeat_n('\n', breaks));
        at = end;
    }
    out.push_str(&code[at..]);
    out
}

/// The names a declaration binds, with their offsets.
fn declared<'a>(declaration: &Declaration<'a>) -> Vec<(&'a str, u32)> {
    match declaration {
        Declaration::VariableDeclaration(d) => d
            .declarations
            .iter()
            .flat_map(|d| binding_names(&d.id))
            .collect(),
        Declaration::FunctionDeclaration(f) => {
            f.id.iter()
                .map(|id| (id.name.as_str(), id.span.start))
                .collect()
        }
        Declaration::ClassDeclaration(c) => {
            c.id.iter()
                .map(|id| (id.name.as_str(), id.span.start))
                .collect()
        }
        _ => Vec::new(),
    }
}

fn binding_names<'a>(pattern: &BindingPattern<'a>) -> Vec<(&'a str, u32)> {
    pattern
        .get_binding_identifiers()
        .into_iter()
        .map(|id| (id.name.as_str(), id.span.start))
        .collect()
}

/// Whether `name` is bound by an import of `program`.
fn imported(program: &Program<'_>, name: &str) -> bool {
    program.body.iter().any(|s| match s {
        Statement::ImportDeclaration(i) => i
            .specifiers
            .iter()
            .flatten()
            .any(|spec| spec.local().name == name),
        _ => false,
    })
}

/// An import as stub bindings: `const __i3 = __import("x"); const a = __i3["a"]; …`, on one line.
/// Type-only imports bind nothing.
fn stub_import(index: usize, import: &oxc_ast::ast::ImportDeclaration<'_>) -> String {
    if import.import_kind.is_type() {
        return String::new();
    }
    let module = format!("__i{index}");
    let mut out = format!(
        "const {module} = __import({});",
        json(import.source.value.as_str())
    );
    for spec in import.specifiers.iter().flatten() {
        match spec {
            ImportDeclarationSpecifier::ImportSpecifier(s) if s.import_kind.is_value() => {
                out.push_str(&format!(
                    " const {} = {module}[{}];",
                    s.local.name,
                    json(export_name(&s.imported))
                ));
            }
            ImportDeclarationSpecifier::ImportSpecifier(_) => {}
            ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => {
                out.push_str(&format!(" const {} = {module}.default;", s.local.name));
            }
            ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => {
                out.push_str(&format!(" const {} = {module};", s.local.name));
            }
        }
    }
    out
}

/// `text` as a JavaScript string literal (JSON's escaping is valid JavaScript).
fn json(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// The names a top-level `const` binds, if its every initializer is pure literal data: numbers,
/// strings, template strings without substitutions, booleans, `null`, and arrays and objects of
/// those (`as const` and `satisfies` looked through; no spreads, computed keys, getters or calls).
fn literal_data(d: &oxc_ast::ast::VariableDeclaration<'_>) -> Option<Vec<String>> {
    if d.kind != oxc_ast::ast::VariableDeclarationKind::Const {
        return None;
    }
    let mut names = Vec::new();
    for declarator in &d.declarations {
        let BindingPattern::BindingIdentifier(id) = &declarator.id else {
            return None;
        };
        if !is_literal(declarator.init.as_ref()?) {
            return None;
        }
        names.push(id.name.to_string());
    }
    Some(names)
}

fn is_literal(expr: &Expression<'_>) -> bool {
    use oxc_ast::ast::{ArrayExpressionElement, ObjectPropertyKind, PropertyKey, PropertyKind};
    match crate::ast::without_wrappers(expr) {
        Expression::NumericLiteral(_)
        | Expression::StringLiteral(_)
        | Expression::BooleanLiteral(_)
        | Expression::NullLiteral(_) => true,
        Expression::TemplateLiteral(t) => t.expressions.is_empty(),
        Expression::UnaryExpression(u) => {
            matches!(u.operator, oxc_ast::ast::UnaryOperator::UnaryNegation)
                && matches!(u.argument, Expression::NumericLiteral(_))
        }
        Expression::ArrayExpression(a) => a.elements.iter().all(|e| match e {
            ArrayExpressionElement::SpreadElement(_) | ArrayExpressionElement::Elision(_) => false,
            other => other.as_expression().is_some_and(is_literal),
        }),
        Expression::ObjectExpression(o) => o.properties.iter().all(|p| match p {
            ObjectPropertyKind::ObjectProperty(p) => {
                p.kind == PropertyKind::Init
                    && !p.computed
                    && !p.method
                    && !p.shorthand
                    && matches!(
                        p.key,
                        PropertyKey::StaticIdentifier(_)
                            | PropertyKey::StringLiteral(_)
                            | PropertyKey::NumericLiteral(_)
                    )
                    && is_literal(&p.value)
            }
            ObjectPropertyKind::SpreadProperty(_) => false,
        }),
        _ => false,
    }
}

/// How many times `name` occurs in `text` as a whole word (an identifier, or a word of a string or
/// comment: counting too many only keeps code in).
fn mentions(text: &str, name: &str) -> usize {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
    let bytes = text.as_bytes();
    text.match_indices(name)
        .filter(|(at, _)| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(at + name.len()).copied();
            !before.is_some_and(word) && !after.is_some_and(word)
        })
        .count()
}
