//! The globals a scene reads: what its host app must provide for it to render.
//!
//! Takes a scene's TSX; gives each name it reads from the page's global scope, once, at its first
//! place: `window.X`, `globalThis.X` and `self.X` (also `const { X } = window`), and identifiers it
//! uses without declaring them. The page then checks which of these it lacks, and a failing scene's
//! message names them (`reads window.IconifyIcon (2:14), which the render runtime does not provide`):
//! a scene written for a host that injects icon components, font loaders or asset maps fails for
//! that reason, not for the one its error happens to say.
//!
//! Names every page has (`window`, the scene runtime's `React`, `require`) are left out; the
//! browser's own globals are not known here, and the page filters them (it has them).

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    BindingPattern, Expression, IdentifierReference, PropertyKey, StaticMemberExpression,
    VariableDeclarator,
};
use oxc_ast_visit::{walk, Visit};
use oxc_parser::Parser;
use oxc_semantic::{Scoping, SemanticBuilder};
use oxc_span::{GetSpan, SourceType, Span};
use serde::{Deserialize, Serialize};

/// The objects a global is read through (`window.X`).
const GLOBAL_OBJECTS: [&str; 3] = ["window", "globalThis", "self"];
/// What the scene runtime passes every scene, or every page has: never a missing global.
const ALWAYS_THERE: [&str; 9] = [
    "window",
    "globalThis",
    "self",
    "React",
    "require",
    "module",
    "undefined",
    "NaN",
    "Infinity",
];
/// The most globals listed for one scene (a generated file may read thousands).
const MAX_GLOBALS: usize = 200;

/// One global a scene reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Global {
    /// The name on the global object.
    pub name: String,
    /// `window` when read as a property (`window.X`, `globalThis.X`), `bare` when used undeclared.
    pub via: Via,
    /// Where it is first read: 1-based line and column.
    pub line: u32,
    pub column: u32,
}

/// How a global is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// `window.X`, `globalThis.X`, `self.X`, `const { X } = window`.
    Window,
    /// `X`, declared nowhere in the module.
    Bare,
}

/// The globals `tsx` reads, in the order they first appear; empty when it does not parse (the
/// renderer then says why).
pub fn read_by(tsx: &str) -> Vec<Global> {
    // Nesting deep enough to overflow the visitor's stack is not walked.
    if crate::parse_guard::check(tsx).is_err() {
        return Vec::new();
    }
    let allocator = Allocator::default();
    let Ok(parsed) =
        crate::parse_guard::guarded(|| Parser::new(&allocator, tsx, SourceType::tsx()).parse())
    else {
        return Vec::new();
    };
    if parsed.panicked || parsed.diagnostics.errors().next().is_some() {
        return Vec::new();
    }
    let Ok(scoping) = crate::parse_guard::guarded(|| {
        SemanticBuilder::new()
            .build(&parsed.program)
            .semantic
            .into_scoping()
    }) else {
        return Vec::new();
    };
    let mut finder = Finder {
        scoping: &scoping,
        lines: LineStarts::new(tsx),
        found: Vec::new(),
    };
    finder.visit_program(&parsed.program);
    finder.found
}

struct Finder<'s> {
    scoping: &'s Scoping,
    lines: LineStarts<'s>,
    found: Vec<Global>,
}

impl Finder<'_> {
    /// Whether `ident` names nothing the module declares (a read of the global scope).
    fn unresolved(&self, ident: &IdentifierReference<'_>) -> bool {
        let Some(id) = ident.reference_id.get() else {
            return false;
        };
        let reference = self.scoping.get_reference(id);
        reference.symbol_id().is_none() && reference.flags().is_value()
    }

    /// `window`, `globalThis` or `self`, undeclared.
    fn is_global_object(&self, expr: &Expression<'_>) -> bool {
        match crate::ast::without_wrappers(expr) {
            Expression::Identifier(ident) => {
                GLOBAL_OBJECTS.contains(&ident.name.as_str()) && self.unresolved(ident)
            }
            _ => false,
        }
    }

    fn add(&mut self, name: &str, via: Via, span: Span) {
        if ALWAYS_THERE.contains(&name)
            || self.found.len() >= MAX_GLOBALS
            || self.found.iter().any(|g| g.name == name)
        {
            return;
        }
        let (line, column) = self.lines.locate(span.start);
        self.found.push(Global {
            name: name.to_string(),
            via,
            line,
            column,
        });
    }
}

impl<'a> Visit<'a> for Finder<'_> {
    fn visit_identifier_reference(&mut self, ident: &IdentifierReference<'a>) {
        if self.unresolved(ident) {
            self.add(&ident.name, Via::Bare, ident.span);
        }
    }

    fn visit_static_member_expression(&mut self, member: &StaticMemberExpression<'a>) {
        if self.is_global_object(&member.object) {
            self.add(&member.property.name, Via::Window, member.span());
        }
        walk::walk_static_member_expression(self, member);
    }

    fn visit_variable_declarator(&mut self, declarator: &VariableDeclarator<'a>) {
        // `const { IconifyIcon, assets } = window;`
        if let (BindingPattern::ObjectPattern(pattern), Some(init)) =
            (&declarator.id, &declarator.init)
        {
            if self.is_global_object(init) {
                for property in &pattern.properties {
                    if let PropertyKey::StaticIdentifier(key) = &property.key {
                        self.add(&key.name, Via::Window, key.span);
                    }
                }
            }
        }
        walk::walk_variable_declarator(self, declarator);
    }
}

/// Byte offsets where lines start, for 1-based line and column (in characters) of an offset.
struct LineStarts<'t> {
    starts: Vec<u32>,
    text: &'t str,
}

impl<'t> LineStarts<'t> {
    fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        LineStarts { starts, text }
    }

    fn locate(&self, offset: u32) -> (u32, u32) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1] as usize;
        let end = (offset as usize).min(self.text.len());
        let column = self.text.get(start..end).map_or(0, |s| s.chars().count());
        (line as u32, column as u32 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(tsx: &str) -> Vec<(String, Via, u32, u32)> {
        read_by(tsx)
            .into_iter()
            .map(|g| (g.name, g.via, g.line, g.column))
            .collect()
    }

    #[test]
    fn reads_through_window_destructuring_and_bare_names_are_found() {
        let tsx = "import { AbsoluteFill } from \"remotion\";\n\
                   const Icon = window.IconifyIcon;\n\
                   const { loadFont } = globalThis.RemotionGoogleFonts;\n\
                   const { AVATARS, theme } = window;\n\
                   export default function Scene(props: { n: number }) {\n\
                   \x20 const local = 1;\n\
                   \x20 return <AbsoluteFill><Icon icon=\"mdi:home\" />{Lottie}{local}{props.n}{Math.max(1, 2)}</AbsoluteFill>;\n\
                   }\n";
        assert_eq!(
            names(tsx),
            [
                ("IconifyIcon".into(), Via::Window, 2, 14),
                ("RemotionGoogleFonts".into(), Via::Window, 3, 22),
                ("AVATARS".into(), Via::Window, 4, 9),
                ("theme".into(), Via::Window, 4, 18),
                ("Lottie".into(), Via::Bare, 7, 49),
                ("Math".into(), Via::Bare, 7, 73),
            ]
        );
    }

    #[test]
    fn declared_names_types_and_the_runtime_s_own_are_not_globals() {
        let tsx = "type Props = { title: string };\n\
                   const window2 = 1;\n\
                   function f(window: any) { return window.X; }\n\
                   export default function S(p: Props) { return <div>{React.version}{window2}{f(1)}</div>; }\n";
        assert!(names(tsx).is_empty(), "{:?}", names(tsx));
    }

    #[test]
    fn code_that_does_not_parse_reads_nothing() {
        assert!(read_by("export default function ( {").is_empty());
    }
}
