//! TSX to JavaScript that QuickJS can run: types stripped and JSX compiled by oxc's own transformer.
//!
//! What runs is a scene's top level with its functions' bodies (and their typed parameters) left
//! out, which is often plain JavaScript already: when its parse holds no TypeScript and no JSX node
//! (the same text then means the same in both languages), it is used as it is, and semantic
//! analysis, the transform and printing are skipped.
//!
//! Takes the module's text (already edited by [`super::exports`]); gives plain ES2022+ module code:
//! TypeScript erased (enums and namespaces become the objects TypeScript makes of them), JSX
//! compiled to `React.createElement(…)` calls (the classic runtime, as scene runtimes of this kind
//! use, so JSX at the top level only ever calls the `React` stub), nothing lowered.

use std::path::Path;

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Class, Decorator, FormalParameter, Function, JSXElement, JSXFragment, TSAsExpression,
    TSEnumDeclaration, TSExportAssignment, TSExternalModuleDeclaration, TSGlobalDeclaration,
    TSImportEqualsDeclaration, TSInstantiationExpression, TSInterfaceDeclaration,
    TSNamespaceDeclaration, TSNamespaceExportDeclaration, TSNonNullExpression,
    TSSatisfiesExpression, TSThisParameter, TSTypeAliasDeclaration, TSTypeAnnotation,
    TSTypeAssertion, TSTypeParameterDeclaration, TSTypeParameterInstantiation, VariableDeclaration,
};
use oxc_ast_visit::{walk, Visit};
use oxc_codegen::{Codegen, CodegenOptions};
use oxc_parser::Parser;
use oxc_semantic::ScopeFlags;
use oxc_semantic::SemanticBuilder;
use oxc_span::SourceType;
use oxc_transformer::{JsxOptions, JsxRuntime, TransformOptions, Transformer};

/// The module as JavaScript, or why it could not be made into JavaScript.
pub(super) fn to_javascript(tsx: &str) -> Result<String, String> {
    let allocator = Allocator::default();
    let parsed =
        crate::parse_guard::guarded(|| Parser::new(&allocator, tsx, SourceType::tsx()).parse())
            .map_err(|panic| format!("the TSX parser failed: {panic}"))?;
    if let Some(error) = parsed.diagnostics.errors().next() {
        return Err(format!("the module does not parse: {}", error.message));
    }
    let mut plain = PlainJavaScript(true);
    plain.visit_program(&parsed.program);
    if plain.0 {
        return Ok(tsx.to_string());
    }
    let mut program = parsed.program;
    let options = TransformOptions {
        jsx: JsxOptions {
            runtime: JsxRuntime::Classic,
            pragma: Some("React.createElement".into()),
            pragma_frag: Some("React.Fragment".into()),
            display_name_plugin: false,
            pure: false,
            ..JsxOptions::enable()
        },
        ..TransformOptions::default()
    };
    // The transformer asserts on shapes it does not expect: a panic is a reason, never a crash.
    let diagnostics = crate::parse_guard::guarded(|| {
        let scoping = SemanticBuilder::new()
            // The enum transform needs the members' values computed here.
            .with_enum_eval(true)
            .with_excess_capacity(2.0)
            .build(&program)
            .semantic
            .into_scoping();
        Transformer::new(&allocator, Path::new("scene.tsx"), &options)
            .build_with_scoping(scoping, &mut program)
            .diagnostics
    })
    .map_err(|panic| format!("types and JSX cannot be removed: the transformer failed: {panic}"))?;
    if let Some(error) = diagnostics.first() {
        return Err(format!(
            "types and JSX cannot be removed: {}",
            error.message
        ));
    }
    // Minified: the engine reads every byte of it.
    Ok(Codegen::new()
        .with_options(CodegenOptions::minify())
        .build(&program)
        .code)
}

/// Whether a parse holds only JavaScript: it is `false` at the first TypeScript or JSX node (and at
/// a class, whose members may carry TypeScript modifiers that are no node of their own).
struct PlainJavaScript(bool);

impl<'a> Visit<'a> for PlainJavaScript {
    fn visit_ts_type_annotation(&mut self, _: &TSTypeAnnotation<'a>) {
        self.0 = false;
    }
    fn visit_ts_type_parameter_declaration(&mut self, _: &TSTypeParameterDeclaration<'a>) {
        self.0 = false;
    }
    fn visit_ts_type_parameter_instantiation(&mut self, _: &TSTypeParameterInstantiation<'a>) {
        self.0 = false;
    }
    fn visit_ts_as_expression(&mut self, _: &TSAsExpression<'a>) {
        self.0 = false;
    }
    fn visit_ts_satisfies_expression(&mut self, _: &TSSatisfiesExpression<'a>) {
        self.0 = false;
    }
    fn visit_ts_non_null_expression(&mut self, _: &TSNonNullExpression<'a>) {
        self.0 = false;
    }
    fn visit_ts_type_assertion(&mut self, _: &TSTypeAssertion<'a>) {
        self.0 = false;
    }
    fn visit_ts_instantiation_expression(&mut self, _: &TSInstantiationExpression<'a>) {
        self.0 = false;
    }
    fn visit_ts_enum_declaration(&mut self, _: &TSEnumDeclaration<'a>) {
        self.0 = false;
    }
    fn visit_ts_interface_declaration(&mut self, _: &TSInterfaceDeclaration<'a>) {
        self.0 = false;
    }
    fn visit_ts_type_alias_declaration(&mut self, _: &TSTypeAliasDeclaration<'a>) {
        self.0 = false;
    }
    fn visit_ts_external_module_declaration(&mut self, _: &TSExternalModuleDeclaration<'a>) {
        self.0 = false;
    }
    fn visit_ts_namespace_declaration(&mut self, _: &TSNamespaceDeclaration<'a>) {
        self.0 = false;
    }
    fn visit_ts_global_declaration(&mut self, _: &TSGlobalDeclaration<'a>) {
        self.0 = false;
    }
    fn visit_ts_import_equals_declaration(&mut self, _: &TSImportEqualsDeclaration<'a>) {
        self.0 = false;
    }
    fn visit_ts_export_assignment(&mut self, _: &TSExportAssignment<'a>) {
        self.0 = false;
    }
    fn visit_ts_namespace_export_declaration(&mut self, _: &TSNamespaceExportDeclaration<'a>) {
        self.0 = false;
    }
    fn visit_ts_this_parameter(&mut self, _: &TSThisParameter<'a>) {
        self.0 = false;
    }
    fn visit_decorator(&mut self, _: &Decorator<'a>) {
        self.0 = false;
    }
    fn visit_jsx_element(&mut self, _: &JSXElement<'a>) {
        self.0 = false;
    }
    fn visit_jsx_fragment(&mut self, _: &JSXFragment<'a>) {
        self.0 = false;
    }
    fn visit_class(&mut self, _: &Class<'a>) {
        self.0 = false;
    }
    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        // An overload or a `declare`d function is TypeScript.
        if it.body.is_none() || it.declare {
            self.0 = false;
        } else if self.0 {
            walk::walk_function(self, it, flags);
        }
    }
    fn visit_formal_parameter(&mut self, it: &FormalParameter<'a>) {
        // A parameter property (`constructor(private x)`) is TypeScript.
        if it.accessibility.is_some() || it.readonly || it.r#override {
            self.0 = false;
        } else if self.0 {
            walk::walk_formal_parameter(self, it);
        }
    }
    fn visit_variable_declaration(&mut self, it: &VariableDeclaration<'a>) {
        if it.declare {
            self.0 = false;
        } else if self.0 {
            walk::walk_variable_declaration(self, it);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_go_and_jsx_becomes_create_element_calls() {
        let js = to_javascript(
            "interface P { n: number }\nconst n: number = 3 as const;\nenum E { A = 2 }\nexport const el = <div a={n}>{E.A}</div>;\nexport const f = <><b /></>;",
        )
        .unwrap();
        assert!(!js.contains("interface"), "{js}");
        assert!(!js.contains(": number"), "{js}");
        assert!(js.contains("React.createElement(`div`"), "{js}");
        assert!(js.contains("React.Fragment"), "{js}");
        assert!(js.contains("E[E[`A`]=2]=`A`"), "{js}");
    }

    #[test]
    fn plain_javascript_is_used_as_it_is_and_anything_typescript_is_transformed() {
        let plain = "const a = [1, 2];\nexport const d = a.reduce((x, y) => x + y, 0);";
        assert_eq!(to_javascript(plain).unwrap(), plain);
        // The same characters mean a generic call in TypeScript and two comparisons in JavaScript:
        // never taken as JavaScript.
        for typed in [
            "const f = (x) => x;\nexport const d = f<number>(3);",
            "export const d = (3 as number) + 1;",
            "const a: number = 1;",
            "export const d = a!;",
            "enum E { A }",
            "const el = <div />;",
            "class C { private x = 1 }",
            "function f(): number;\nfunction f() { return 1; }",
        ] {
            assert_ne!(to_javascript(typed).unwrap(), typed, "{typed}");
        }
    }

    #[test]
    fn a_syntax_error_is_a_reason_not_a_panic() {
        let err = to_javascript("export const x = (;").unwrap_err();
        assert!(err.starts_with("the module does not parse"), "{err}");
    }
}
