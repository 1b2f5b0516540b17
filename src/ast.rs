//! Small readings of oxc's TypeScript AST that more than one stage needs.
//!
//! Takes AST nodes; gives an expression with its type-only wrappers taken off, and the name an
//! export is known by. The catalog reader, the quality gate and the duration evaluator share them, so
//! the three agree on what `as const` or `export { a as b }` mean.

use oxc_ast::ast::{Expression, ModuleExportName};

/// `expr` without what does not change its value: `as const`, `satisfies T`, `<T>x`, `x!`, `(x)`.
pub fn without_wrappers<'e, 'a>(mut expr: &'e Expression<'a>) -> &'e Expression<'a> {
    loop {
        expr = match expr {
            Expression::TSAsExpression(e) => &e.expression,
            Expression::TSSatisfiesExpression(e) => &e.expression,
            Expression::TSTypeAssertion(e) => &e.expression,
            Expression::TSNonNullExpression(e) => &e.expression,
            Expression::ParenthesizedExpression(e) => &e.expression,
            _ => return expr,
        }
    }
}

/// The name in `export { … }` or `import { … }`: an identifier or a string (`export { a as "b" }`).
pub fn export_name<'a>(name: &ModuleExportName<'a>) -> &'a str {
    match name {
        ModuleExportName::IdentifierName(n) => n.name.as_str(),
        ModuleExportName::IdentifierReference(n) => n.name.as_str(),
        ModuleExportName::StringLiteral(s) => s.value.as_str(),
    }
}
