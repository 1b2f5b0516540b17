//! The quality gate: decide, per template, whether its code may be trained on.
//!
//! Takes the bytes found for a template and the `[check]` rules; gives its [`TemplateCode`]
//! (trailing whitespace trimmed, nothing else changed, tokens counted once) or a [`Rejection`] naming
//! the first rule that failed and why. A fine-tune learns whatever it is shown, so anything doubtful
//! is rejected and reported, never repaired. Rules, in the order they run:
//!
//! | rule | rejects |
//! |---|---|
//! | `utf8` (always) | bytes that are not UTF-8 text |
//! | `not_empty` | blank code |
//! | `no_fences` | Markdown code fences (```) anywhere |
//! | `no_leading_prose` | code whose first token is not import, export, const/let/var, function, class, a type declaration, a comment or a directive |
//! | `parse` | a TSX syntax error (oxc), with its line:col inside the code; or nesting too deep to parse safely |
//! | `entry_point` | no default export (or no export of the configured name) |
//! | `required` / `forbidden` | a configured identifier or dotted path missing / present (comments and strings do not count) |
//!
//! Long because each rule's test sits beside the rules and pins its exact message.

use oxc_allocator::Allocator;
use oxc_ast::ast::{BindingPattern, Declaration, Program, Statement};
use oxc_parser::config::RuntimeParserConfig;
use oxc_parser::{Kind, Parser};
use oxc_span::SourceType;
use serde::{Deserialize, Serialize};

use super::duration::{self, CodeDuration, CodePos, DurationExport};
use super::{FoundCode, Stored, TemplateCode};
use crate::ast::export_name;
use crate::config::GateConfig;
use crate::location::LineIndex;
use crate::parse_guard;
use crate::tokens::Encoding;

/// The gate's rules, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Code longer than `code.max_bytes`.
    TooLarge,
    /// Code that is not UTF-8 text.
    Utf8,
    /// Empty or whitespace-only code.
    NotEmpty,
    /// A Markdown code fence in the code.
    NoFences,
    /// Code that does not start with an import, export, declaration, comment or directive.
    NoLeadingProse,
    /// Not parseable as TSX.
    Parse,
    /// No export named by `check.export` (by default the default export) to render.
    EntryPoint,
    /// A `check.required` name that does not occur.
    Required,
    /// A `check.forbidden` name that occurs.
    Forbidden,
    /// The scene does not render cleanly (`check.render`): judged after the gate, by the renderer.
    Render,
}

impl Rule {
    /// The rule's stable name (as in JSON and `[check]`).
    pub fn name(self) -> &'static str {
        match self {
            Rule::TooLarge => "too_large",
            Rule::Utf8 => "utf8",
            Rule::NotEmpty => "not_empty",
            Rule::NoFences => "no_fences",
            Rule::NoLeadingProse => "no_leading_prose",
            Rule::Parse => "parse",
            Rule::EntryPoint => "entry_point",
            Rule::Required => "required",
            Rule::Forbidden => "forbidden",
            Rule::Render => "render",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a template's code was not used (stats `sanitizerFailures`, the name kept from the tool
/// this one replaces).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Rejection {
    /// The rejected template.
    pub template_id: String,
    /// The store key (template id or dbId) or the override file the code came from.
    pub source_key: String,
    /// The rule that rejected it.
    pub rule: Rule,
    /// Why, in a sentence.
    pub message: String,
    /// Where in the code, for rules that point at a place (`parse`, `no_fences`): `line:col`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<CodePos>,
}

impl Rejection {
    /// The message without its leading `line L:C: ` (the place is in [`Rejection::at`]).
    pub fn detail(&self) -> &str {
        match &self.at {
            Some(at) => self
                .message
                .strip_prefix(&format!("line {at}: "))
                .unwrap_or(&self.message),
            None => &self.message,
        }
    }
}

/// A parser message with a hint where its wording misleads: in TSX, a `/` the parser reads as the
/// start of a regular expression is almost always a closing tag after a missing `}` or `>`.
fn with_hint(message: &str) -> String {
    if message.contains("Unterminated regular expression") {
        format!("{message} (in JSX this usually means a missing `}}` or `>` before a closing tag such as `</div>`)")
    } else {
        message.to_string()
    }
}

/// What may start a template's code (after leading whitespace).
const CODE_STARTS: [&str; 16] = [
    "import",
    "export",
    "const",
    "let",
    "var",
    "function",
    "async",
    "class",
    "abstract",
    "type",
    "interface",
    "enum",
    "declare",
    "//",
    "/*",
    "#!",
];

/// What the gate needs besides the code: the rules, the encoding tokens are counted in, and the
/// export that states a scene's duration (evaluated on the same parse).
#[derive(Debug, Clone)]
pub struct Gate<'c> {
    /// The enabled rules.
    pub rules: &'c GateConfig,
    /// The encoding the code's tokens are counted in.
    pub encoding: Encoding,
    /// The export that states a scene's duration.
    pub duration_export: DurationExport,
    /// `code.max_bytes`, named when code over it is rejected.
    pub max_bytes: u64,
    /// `code.max_syntax_tokens`: code with more is rejected before it is parsed.
    pub max_syntax_tokens: usize,
}

impl<'c> Gate<'c> {
    /// The gate with the default duration export (`durationInFrames`).
    pub fn new(rules: &'c GateConfig, encoding: Encoding) -> Self {
        Gate {
            rules,
            encoding,
            duration_export: DurationExport::new(crate::config::DEFAULT_DURATION_EXPORT),
            max_bytes: crate::config::DEFAULT_CODE_MAX_BYTES,
            max_syntax_tokens: crate::config::DEFAULT_CODE_MAX_SYNTAX_TOKENS,
        }
    }

    /// Run every enabled rule on `found`; count its tokens and evaluate its duration export.
    pub fn run(&self, template_id: &str, found: FoundCode) -> Result<TemplateCode, Rejection> {
        gate(template_id, found, self)
    }
}

fn gate(
    template_id: &str,
    found: FoundCode,
    settings: &Gate<'_>,
) -> Result<TemplateCode, Rejection> {
    let rules = settings.rules;
    let source_key = found.origin.key();
    let reject = |rule: Rule, message: String| Rejection {
        template_id: template_id.to_string(),
        source_key: source_key.clone(),
        rule,
        message,
        at: None,
    };
    // A rejection at a place: its message starts with `line L:C:` (as it always has), and `at`
    // keeps the place so a warning can point at the file.
    let reject_at = |rule: Rule, (line, col): (usize, usize), what: String| Rejection {
        at: Some(CodePos { line, col }),
        ..reject(rule, format!("line {line}:{col}: {what}"))
    };
    let FoundCode { stored, origin } = found;
    let bytes = match stored {
        Stored::Bytes(bytes) => bytes,
        Stored::TooLarge(size) => {
            return Err(reject(
                Rule::TooLarge,
                format!(
                    "{size} bytes, over code.max_bytes ({}); not read",
                    settings.max_bytes
                ),
            ))
        }
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        reject(
            Rule::Utf8,
            format!("code is not UTF-8 text (invalid byte at offset {offset})"),
        )
    })?;
    let (normalized_text, normalized) = super::Normalized::apply(&text);
    let code = normalized_text.trim_end();
    if rules.not_empty && code.trim().is_empty() {
        return Err(reject(Rule::NotEmpty, "code is empty".into()));
    }
    let index = LineIndex::new(code);
    if rules.no_fences {
        if let Some(at) = code.find("```") {
            return Err(reject_at(
                Rule::NoFences,
                index.line_col(at),
                "Markdown code fence (```) in the code".into(),
            ));
        }
    }
    if rules.no_leading_prose && !starts_with_code(code) {
        let first: String = code
            .trim_start()
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(40)
            .collect();
        return Err(reject(
            Rule::NoLeadingProse,
            format!("code starts with {first:?}, not with import, export, a declaration, a comment or a directive"),
        ));
    }

    if let Err(offset) = parse_guard::syntax_tokens(code, settings.max_syntax_tokens) {
        return Err(reject_at(
            Rule::TooLarge,
            index.line_col(offset),
            format!(
                "more than {} syntax tokens (code.max_syntax_tokens); not parsed",
                settings.max_syntax_tokens
            ),
        ));
    }
    if let Err(offset) = parse_guard::check(code) {
        return Err(reject_at(
            Rule::Parse,
            index.line_col(offset),
            format!(
                "nested more than {} levels deep; not parsed",
                parse_guard::MAX_DEPTH
            ),
        ));
    }
    let needs_words = !rules.required.is_empty() || !rules.forbidden.is_empty();
    let allocator = Allocator::default();
    // Tokens only when a rule reads words.
    let parsed = parse_guard::guarded(|| {
        Parser::new(&allocator, code, SourceType::tsx())
            .with_config(RuntimeParserConfig::new(needs_words))
            .parse()
    })
    .map_err(|panic| {
        reject(
            Rule::Parse,
            format!("the TSX parser failed on this code: {panic}"),
        )
    })?;
    if rules.parse {
        if let Some(error) = parsed.diagnostics.errors().next() {
            let offset = error.labels.first().map_or(0, |l| l.offset() as usize);
            return Err(reject_at(
                Rule::Parse,
                index.line_col(offset),
                with_hint(&error.message),
            ));
        }
    }
    if rules.entry_point && !exports(&parsed.program, &rules.export) {
        let what = if rules.export == "default" {
            "no default export (export default …)".to_string()
        } else {
            format!("no export named {:?}", rules.export)
        };
        return Err(reject(Rule::EntryPoint, what));
    }
    if needs_words {
        let words: Vec<Option<&str>> = parsed
            .tokens
            .iter()
            .map(|t| match t.kind() {
                Kind::Dot => Some("."),
                k if k.is_identifier_name() => code.get(t.start() as usize..t.end() as usize),
                _ => None,
            })
            .collect();
        if let Some(missing) = rules.required.iter().find(|p| !contains_path(&words, p)) {
            return Err(reject(
                Rule::Required,
                format!("{missing} does not occur in the code"),
            ));
        }
        if let Some(found) = rules.forbidden.iter().find(|p| contains_path(&words, p)) {
            return Err(reject(
                Rule::Forbidden,
                format!("{found} occurs in the code"),
            ));
        }
    }
    let duration = duration::evaluate(&parsed.program, code, &index, &settings.duration_export);
    let tokens = settings.encoding.count(code);
    let mut accepted = TemplateCode::new(code, origin, tokens, duration);
    accepted.normalized = normalized;
    Ok(accepted)
}

/// Every enabled rule's verdict on one piece of code, not only the first failure: what `eval`
/// scores a model's output with.
#[derive(Debug, Clone)]
pub struct Verdicts {
    /// The rules that ran, in order, each with why it failed (`None`: passed).
    pub rules: Vec<(Rule, Option<String>)>,
    /// The code parsed without a syntax error.
    pub parsed: bool,
    /// The parser gave a program (it recovered from any syntax error): the rules that look at the
    /// program ran. `false`: they failed with "not parsed".
    pub usable: bool,
    /// The duration export, evaluated; `None` when the parser gave up (no program to evaluate).
    pub duration: Option<CodeDuration>,
}

impl Verdicts {
    /// Whether `rule` passed (`None`: it did not run).
    pub fn passed(&self, rule: Rule) -> Option<bool> {
        self.rules
            .iter()
            .find(|(r, _)| *r == rule)
            .map(|(_, why)| why.is_none())
    }
}

/// Run every enabled rule of `rules` on `code` independently (the parse once), evaluate its
/// duration export, and give `inspect` the program and tokens (`None` when the parser gave up). A
/// syntax error fails `parse` only: the other rules look at what the parser recovered, so an output
/// with one typo is not also counted as lacking its entry point.
pub fn every_rule<T>(
    code: &str,
    rules: &GateConfig,
    export: &DurationExport,
    inspect: impl FnOnce(Option<(&Program<'_>, &[oxc_parser::Token])>) -> T,
) -> (Verdicts, T) {
    let code = code.trim_end();
    let index = LineIndex::new(code);
    let mut out = Vec::new();
    let verdict = |failed: bool, why: String| failed.then_some(why);
    if rules.not_empty {
        out.push((
            Rule::NotEmpty,
            verdict(code.trim().is_empty(), "code is empty".into()),
        ));
    }
    if rules.no_fences {
        let at = code.find("```");
        out.push((
            Rule::NoFences,
            at.map(|at| {
                let (line, col) = index.line_col(at);
                format!("line {line}:{col}: Markdown code fence (```) in the code")
            }),
        ));
    }
    if rules.no_leading_prose {
        out.push((
            Rule::NoLeadingProse,
            verdict(
                !starts_with_code(code),
                "code does not start with import, export, a declaration, a comment or a directive"
                    .into(),
            ),
        ));
    }
    let allocator = Allocator::default();
    // A model's output is bounded like a template's code (the default bound), before parsing.
    let max_tokens = crate::config::DEFAULT_CODE_MAX_SYNTAX_TOKENS;
    let bounded = parse_guard::syntax_tokens(code, max_tokens)
        .map_err(|offset| (offset, format!("more than {max_tokens} syntax tokens")))
        .and_then(|_| {
            parse_guard::check(code).map_err(|offset| {
                let depth = parse_guard::MAX_DEPTH;
                (offset, format!("nested more than {depth} levels deep"))
            })
        });
    let parsed = match bounded {
        Err((offset, what)) => {
            let (line, col) = index.line_col(offset);
            Err(format!("line {line}:{col}: {what}; not parsed"))
        }
        Ok(()) => parse_guard::guarded(|| {
            Parser::new(&allocator, code, SourceType::tsx())
                .with_config(RuntimeParserConfig::new(true))
                .parse()
        })
        .map_err(|panic| format!("the TSX parser failed on this code: {panic}")),
    };
    let (syntax_error, program) = match &parsed {
        Err(why) => (Some(why.clone()), None),
        Ok(p) => {
            let error = p.diagnostics.errors().next().map(|e| {
                let offset = e.labels.first().map_or(0, |l| l.offset() as usize);
                let (line, col) = index.line_col(offset);
                format!("line {line}:{col}: {}", with_hint(&e.message))
            });
            let usable = !p.panicked;
            (error, usable.then_some(p))
        }
    };
    if rules.parse {
        out.push((Rule::Parse, syntax_error.clone()));
    }
    let not_parsed = || Some("not parsed: the parser gave up on this code".to_string());
    if rules.entry_point {
        out.push((
            Rule::EntryPoint,
            match program {
                Some(p) if exports(&p.program, &rules.export) => None,
                Some(_) if rules.export == "default" => {
                    Some("no default export (export default …)".into())
                }
                Some(_) => Some(format!("no export named {:?}", rules.export)),
                None => not_parsed(),
            },
        ));
    }
    if !rules.required.is_empty() || !rules.forbidden.is_empty() {
        let words: Option<Vec<Option<&str>>> = program.map(|p| {
            p.tokens
                .iter()
                .map(|t| match t.kind() {
                    Kind::Dot => Some("."),
                    k if k.is_identifier_name() => code.get(t.start() as usize..t.end() as usize),
                    _ => None,
                })
                .collect()
        });
        if !rules.required.is_empty() {
            out.push((
                Rule::Required,
                match &words {
                    Some(w) => rules
                        .required
                        .iter()
                        .find(|p| !contains_path(w, p))
                        .map(|missing| format!("{missing} does not occur in the code")),
                    None => not_parsed(),
                },
            ));
        }
        if !rules.forbidden.is_empty() {
            out.push((
                Rule::Forbidden,
                match &words {
                    Some(w) => rules
                        .forbidden
                        .iter()
                        .find(|p| contains_path(w, p))
                        .map(|found| format!("{found} occurs in the code")),
                    None => not_parsed(),
                },
            ));
        }
    }
    let duration = program.map(|p| duration::evaluate(&p.program, code, &index, export));
    let inspected = inspect(program.map(|p| (&p.program, &p.tokens[..])));
    (
        Verdicts {
            rules: out,
            parsed: syntax_error.is_none(),
            usable: program.is_some(),
            duration,
        },
        inspected,
    )
}

/// Accept `found` on an earlier build's word that it passes with `tokens` tokens: no parsing and
/// no tokenizing, the same [`TemplateCode`] as [`Gate::run`] would give. `None` if the bytes are not
/// text after all (then run [`Gate::run`]).
pub fn accept_known(
    found: &FoundCode,
    tokens: usize,
    duration: &CodeDuration,
) -> Option<TemplateCode> {
    let Stored::Bytes(bytes) = &found.stored else {
        return None;
    };
    let text = std::str::from_utf8(bytes).ok()?;
    // The same text as the gate passed: normalized as it normalizes.
    let (text, normalized) = super::Normalized::apply(text);
    let mut accepted = TemplateCode::new(
        text.trim_end(),
        found.origin.clone(),
        tokens,
        duration.clone(),
    );
    accepted.normalized = normalized;
    Some(accepted)
}

/// A rejection an earlier build made, for this template.
pub fn known_rejection(
    template_id: &str,
    found: &FoundCode,
    rule: Rule,
    message: &str,
    at: Option<CodePos>,
) -> Rejection {
    Rejection {
        template_id: template_id.to_string(),
        source_key: found.origin.key(),
        rule,
        message: message.to_string(),
        at,
    }
}

fn starts_with_code(code: &str) -> bool {
    let start = code.trim_start();
    if start.starts_with("\"use ") || start.starts_with("'use ") {
        return true;
    }
    CODE_STARTS.iter().any(|word| {
        start.strip_prefix(word).is_some_and(|rest| {
            word.starts_with(['/', '#'])
                || rest
                    .chars()
                    .next()
                    .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '$'))
        })
    })
}

/// Whether the module exports `name` (`default` for a default export).
fn exports(program: &Program<'_>, name: &str) -> bool {
    let spec_exports = |specifiers: &[oxc_ast::ast::ExportSpecifier<'_>]| {
        specifiers.iter().any(|s| export_name(&s.exported) == name)
    };
    program.body.iter().any(|statement| match statement {
        Statement::ExportDefaultDeclaration(_) => name == "default",
        Statement::ExportNamedDeclaration(e) => spec_exports(&e.specifiers),
        Statement::ExportFromDeclaration(e) => spec_exports(&e.specifiers),
        Statement::ExportDeclaration(e) => match &e.declaration {
            Declaration::FunctionDeclaration(f) => f.id.as_ref().is_some_and(|id| id.name.as_str() == name),
            Declaration::ClassDeclaration(c) => c.id.as_ref().is_some_and(|id| id.name.as_str() == name),
            Declaration::VariableDeclaration(v) => v.declarations.iter().any(|d| {
                matches!(&d.id, BindingPattern::BindingIdentifier(id) if id.name.as_str() == name)
            }),
            _ => false,
        },
        _ => false,
    })
}

/// Whether the token words contain `path` (`window.Remotion` = `window`, `.`, `Remotion`).
fn contains_path(words: &[Option<&str>], path: &str) -> bool {
    let mut pattern: Vec<&str> = Vec::new();
    for (i, part) in path.split('.').enumerate() {
        if i > 0 {
            pattern.push(".");
        }
        pattern.push(part);
    }
    words.windows(pattern.len()).any(|w| {
        w.iter()
            .zip(&pattern)
            .all(|(word, want)| *word == Some(*want))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::CodeOrigin;

    fn gate_with(rules: &GateConfig) -> Gate<'_> {
        Gate::new(rules, Encoding::O200k)
    }

    #[test]
    fn the_duration_is_evaluated_on_the_gate_parse() {
        let code = "const { AbsoluteFill } = window.Remotion;\nconst script = [{ frames: 40 }, { frames: 70 }];\nexport const durationInFrames = script.reduce((s, i) => s + i.frames, 0);\nexport default function S() { return <AbsoluteFill />; }\n";
        let c = run(code, &GateConfig::default()).unwrap();
        assert_eq!(
            c.duration,
            CodeDuration::Frames {
                frames: 110,
                at: duration::CodePos { line: 3, col: 14 }
            }
        );
    }

    fn run(code: &str, rules: &GateConfig) -> Result<TemplateCode, Rejection> {
        let found = FoundCode::bytes(code.as_bytes().to_vec(), CodeOrigin::store("k"));
        gate_with(rules).run("t", found)
    }

    fn rule_of(code: &str, rules: &GateConfig) -> (&'static str, String) {
        let r = run(code, rules).unwrap_err();
        (r.rule.name(), r.message)
    }

    const GOOD: &str = "const { AbsoluteFill } = window.Remotion;\nexport default function Scene() {\n  return <AbsoluteFill />;\n}\n";

    #[test]
    fn good_code_passes_with_only_trailing_whitespace_trimmed() {
        let code = run(&format!("{GOOD}\n\n  \t\n"), &GateConfig::default()).unwrap();
        assert_eq!(code.text().unwrap(), GOOD.trim_end());
        assert!(code.tokens > 10);
    }

    #[test]
    fn each_rule_fires_on_a_minimal_bad_example() {
        let all = GateConfig {
            required: vec!["window.Remotion".into()],
            forbidden: vec!["eval".into()],
            ..GateConfig::default()
        };
        let cases: [(&[u8], &str, &str); 8] = [
            (b"c\xff", "utf8", "code is not UTF-8 text (invalid byte at offset 1)"),
            (b"  \n\t", "not_empty", "code is empty"),
            (b"```tsx\nexport default 1;\n```", "no_fences", "line 1:1: Markdown code fence (```) in the code"),
            (b"Here is the scene:\nexport default 1;", "no_leading_prose", "code starts with \"Here is the scene:\", not with import, export, a declaration, a comment or a directive"),
            (b"const a = ;\nexport default a;", "parse", "line 1:11: Unexpected token"),
            (b"const { A } = window.Remotion;\nexport const Scene = () => <A />;", "entry_point", "no default export (export default …)"),
            (b"const A = 1; // window.Remotion\nexport default \"window.Remotion\";", "required", "window.Remotion does not occur in the code"),
            (b"const A = window.Remotion; eval('1');\nexport default A;", "forbidden", "eval occurs in the code"),
        ];
        for (code, rule, message) in cases {
            let found = FoundCode::bytes(code.to_vec(), CodeOrigin::store("k"));
            let r = gate_with(&all).run("t", found).unwrap_err();
            assert_eq!(
                (r.rule.name(), r.message.as_str()),
                (rule, message),
                "{}",
                String::from_utf8_lossy(code)
            );
        }
    }

    #[test]
    fn rules_can_be_switched_off() {
        let off = GateConfig {
            parse: false,
            no_fences: false,
            no_leading_prose: false,
            entry_point: false,
            ..GateConfig::default()
        };
        assert!(run("Here you go:\n```tsx\nconst a = ;\n```", &off).is_ok());
    }

    #[test]
    fn named_entry_points_comments_and_directives() {
        let named = GateConfig {
            export: "Scene".into(),
            ..GateConfig::default()
        };
        assert!(run("export function Scene() { return null; }", &named).is_ok());
        assert!(run("function Scene() {}\nexport { Scene };", &named).is_ok());
        assert_eq!(
            rule_of("export default function Scene() {}", &named).0,
            "entry_point"
        );
        assert!(run("// A scene\nexport default 1;", &GateConfig::default()).is_ok());
        assert!(run("\"use client\";\nexport default 1;", &GateConfig::default()).is_ok());
        assert!(run(
            "const S = 1;\nexport { S as default };",
            &GateConfig::default()
        )
        .is_ok());
        assert_eq!(
            rule_of(
                "constant = 1;\nexport default constant;",
                &GateConfig::default()
            )
            .0,
            "no_leading_prose"
        );
    }
}
