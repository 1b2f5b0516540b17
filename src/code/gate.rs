//! The quality gate: decide, per template, whether its code may be trained on.
//!
//! Takes the bytes found for a template and the `[check]` rules; gives its [`TemplateCode`]
//! (trailing whitespace trimmed, nothing else changed, tokens counted once) or a [`Rejection`] naming
//! the first rule that failed and why. A fine-tune learns whatever it is shown, so anything doubtful
//! is rejected and reported, never repaired. Measuring is apart from deciding: the code is
//! measured once ([`Facts`]: bounded, parsed, its words), and each switchable rule is one entry of
//! [`RULES`] (switch, check, wording) judged on those facts, by `build` ([`Gate::run`], the first
//! failure rejects) and by `eval` ([`every_rule`], every verdict). Rules, in the order they run:
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
use crate::digest::Sha256Digest;
use crate::location::LineIndex;
use crate::parse_guard;
use crate::tokens::Encoding;

/// The gate's rules: each defined once, with its name, its check's name in `eval`, and what it
/// rejects. The switchable ones are judged by the [`RULES`] table below.
macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// The gate's rules, in the order they run.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum Rule {
            // Serialized as its name: one spelling for JSON, `[check]` and messages.
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl Rule {
            /// The rule's stable name (as in JSON and `[check]`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Rule::$variant => $name,)*
                }
            }

            /// The name of its check in `eval` (`gate.<name>`).
            pub fn check_name(self) -> &'static str {
                match self {
                    $(Rule::$variant => concat!("gate.", $name),)*
                }
            }
        }
    };
}

rules! {
    /// Code longer than `code.max_bytes`, or with more syntax tokens than `code.max_syntax_tokens`.
    TooLarge => "too_large",
    /// Code that is not UTF-8 text.
    Utf8 => "utf8",
    /// Empty or whitespace-only code.
    NotEmpty => "not_empty",
    /// A Markdown code fence in the code.
    NoFences => "no_fences",
    /// Code that does not start with an import, export, declaration, comment or directive.
    NoLeadingProse => "no_leading_prose",
    /// Not parseable as TSX.
    Parse => "parse",
    /// No export named by `check.export` (by default the default export) to render.
    EntryPoint => "entry_point",
    /// A `check.required` name that does not occur.
    Required => "required",
    /// A `check.forbidden` name that occurs.
    Forbidden => "forbidden",
    /// The scene does not render cleanly (`check.render`): judged after the gate, by the renderer.
    Render => "render",
}

/// Why one rule failed: the rule, where in the code (a byte offset) when it points at a place,
/// and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The rule that failed.
    pub rule: Rule,
    /// Where in the code, as a byte offset.
    pub offset: Option<usize>,
    /// What is wrong, in a phrase (without the place).
    pub what: String,
}

impl Failure {
    fn new(rule: Rule, what: impl Into<String>) -> Self {
        Failure {
            rule,
            offset: None,
            what: what.into(),
        }
    }

    fn at(rule: Rule, offset: usize, what: impl Into<String>) -> Self {
        Failure {
            rule,
            offset: Some(offset),
            what: what.into(),
        }
    }
}

/// One switchable rule of the table: when `[check]` turns it on, whether it reads the parsed
/// program, and its verdict on the measured [`Facts`] (`None`: passes).
pub struct RuleSpec {
    /// The rule.
    pub rule: Rule,
    /// Whether `[check]` turns it on.
    pub enabled: fn(&GateConfig) -> bool,
    /// It reads the program: without one (the parser gave up, or the code is over a bound) it is
    /// not judged.
    pub reads_program: bool,
    /// Its verdict on the facts.
    pub judge: fn(&Facts<'_>, &GateConfig) -> Option<Failure>,
}

/// Every switchable rule, in the order build judges them (the first failure rejects): the only
/// place a rule's check and wording are written. `build` stops at the first failure; `eval`
/// records every verdict. A rule added here is judged by both, and scored by `eval` as its own
/// check ([`Rule::check_name`]).
pub const RULES: [RuleSpec; 7] = [
    RuleSpec {
        rule: Rule::NotEmpty,
        enabled: |c| c.not_empty,
        reads_program: false,
        judge: |f, _| {
            f.code
                .trim()
                .is_empty()
                .then(|| Failure::new(Rule::NotEmpty, "code is empty"))
        },
    },
    RuleSpec {
        rule: Rule::NoFences,
        enabled: |c| c.no_fences,
        reads_program: false,
        judge: |f, _| {
            f.code
                .find("```")
                .map(|at| Failure::at(Rule::NoFences, at, "Markdown code fence (```) in the code"))
        },
    },
    RuleSpec {
        rule: Rule::NoLeadingProse,
        enabled: |c| c.no_leading_prose,
        reads_program: false,
        judge: |f, _| {
            if starts_with_code(f.code) {
                return None;
            }
            let first: String = f
                .code
                .trim_start()
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(40)
                .collect();
            Some(Failure::new(
                Rule::NoLeadingProse,
                format!("code starts with {first:?}, not with import, export, a declaration, a comment or a directive"),
            ))
        },
    },
    RuleSpec {
        rule: Rule::Parse,
        enabled: |c| c.parse,
        // Judged on what the parse gave, program or not.
        reads_program: false,
        judge: |f, _| f.unparsed.clone().or_else(|| f.syntax_error.clone()),
    },
    RuleSpec {
        rule: Rule::EntryPoint,
        enabled: |c| c.entry_point,
        reads_program: true,
        judge: |f, c| {
            let program = &f.judged_program()?.program;
            if exports(program, &c.export) {
                None
            } else if c.export == "default" {
                Some(Failure::new(
                    Rule::EntryPoint,
                    "no default export (export default …)",
                ))
            } else {
                Some(Failure::new(
                    Rule::EntryPoint,
                    format!("no export named {:?}", c.export),
                ))
            }
        },
    },
    RuleSpec {
        rule: Rule::Required,
        enabled: |c| !c.required.is_empty(),
        reads_program: true,
        judge: |f, c| {
            let words = f.words.as_deref().filter(|_| f.unparsed.is_none())?;
            c.required
                .iter()
                .find(|p| !contains_path(words, p))
                .map(|missing| {
                    Failure::new(
                        Rule::Required,
                        format!("{missing} does not occur in the code"),
                    )
                })
        },
    },
    RuleSpec {
        rule: Rule::Forbidden,
        enabled: |c| !c.forbidden.is_empty(),
        reads_program: true,
        judge: |f, c| {
            let words = f.words.as_deref().filter(|_| f.unparsed.is_none())?;
            c.forbidden
                .iter()
                .find(|p| contains_path(words, p))
                .map(|found| Failure::new(Rule::Forbidden, format!("{found} occurs in the code")))
        },
    },
];

/// What the rules look at, measured once per piece of code: the code (trailing whitespace
/// trimmed), its parse (bounded first), the syntax error, and the words of its tokens. Measuring
/// decides nothing; the [`RULES`] do.
pub struct Facts<'a> {
    /// The code, trailing whitespace trimmed.
    pub code: &'a str,
    /// Lines of `code`, for places.
    pub index: LineIndex<'a>,
    /// What the parser gave (it may have recovered from a syntax error); `None` when the code is
    /// over a bound or the parser failed.
    pub program: Option<oxc_parser::ParserReturn<'a>>,
    /// Why there is no program to judge: over a bound (`too_large`, `parse`), or the parser failed
    /// or gave up (then [`Facts::program`] is what little it recovered).
    pub unparsed: Option<Failure>,
    /// The first syntax error of a program the parser recovered.
    pub syntax_error: Option<Failure>,
    /// The identifier-name tokens and dots, in order (`None` unless asked for and parsed).
    pub words: Option<Vec<Option<&'a str>>>,
}

impl<'a> Facts<'a> {
    /// Measure `code` (trailing whitespace trimmed): bounded to `max_syntax_tokens` and
    /// [`parse_guard::MAX_DEPTH`] before the TSX parser runs; `tokens`: keep the parser's tokens
    /// (the `required` and `forbidden` rules and eval's inspection read them).
    pub fn measure(
        code: &'a str,
        allocator: &'a Allocator,
        max_syntax_tokens: usize,
        tokens: bool,
    ) -> Self {
        let code = code.trim_end();
        let index = LineIndex::new(code);
        let bounded = parse_guard::syntax_tokens(code, max_syntax_tokens)
            .map_err(|offset| {
                Failure::at(
                    Rule::TooLarge,
                    offset,
                    format!("more than {max_syntax_tokens} syntax tokens (code.max_syntax_tokens); not parsed"),
                )
            })
            .and_then(|_| {
                parse_guard::check(code).map_err(|offset| {
                    let depth = parse_guard::MAX_DEPTH;
                    Failure::at(
                        Rule::Parse,
                        offset,
                        format!("nested more than {depth} levels deep; not parsed"),
                    )
                })
            });
        let parsed = bounded.and_then(|()| {
            parse_guard::guarded(|| {
                Parser::new(allocator, code, SourceType::tsx())
                    .with_config(RuntimeParserConfig::new(tokens))
                    .parse()
            })
            .map_err(|panic| {
                Failure::new(
                    Rule::Parse,
                    format!("the TSX parser failed on this code: {panic}"),
                )
            })
        });
        let (program, unparsed, syntax_error) = match parsed {
            Err(why) => (None, Some(why), None),
            Ok(p) => {
                let error = p.diagnostics.errors().next().map(|e| {
                    let offset = e.labels.first().map_or(0, |l| l.offset() as usize);
                    Failure::at(Rule::Parse, offset, with_hint(&e.message))
                });
                if p.panicked {
                    // What the parser recovered is not the code: the syntax error is why.
                    let why = error.unwrap_or_else(|| {
                        Failure::new(Rule::Parse, "the parser gave up on this code")
                    });
                    (Some(p), Some(why), None)
                } else {
                    (Some(p), None, error)
                }
            }
        };
        let words = program.as_ref().filter(|_| tokens).map(|p| {
            p.tokens
                .iter()
                .map(|t| match t.kind() {
                    Kind::Dot => Some("."),
                    k if k.is_identifier_name() => code.get(t.start() as usize..t.end() as usize),
                    _ => None,
                })
                .collect()
        });
        Facts {
            code,
            index,
            program,
            unparsed,
            syntax_error,
            words,
        }
    }

    /// The program the rules judge: `None` when there is none or the parser gave up.
    pub fn judged_program(&self) -> Option<&oxc_parser::ParserReturn<'a>> {
        self.program.as_ref().filter(|_| self.unparsed.is_none())
    }

    /// A failure's message as build and eval show it: `line L:C: what` when it has a place.
    pub fn message(&self, failure: &Failure) -> String {
        match failure.offset {
            Some(offset) => {
                let (line, col) = self.index.line_col(offset);
                format!("line {line}:{col}: {}", failure.what)
            }
            None => failure.what.clone(),
        }
    }

    /// The place of a failure, when it has one.
    pub fn place(&self, failure: &Failure) -> Option<CodePos> {
        failure.offset.map(|offset| {
            let (line, col) = self.index.line_col(offset);
            CodePos { line, col }
        })
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
    let source_key = found.origin.key();
    let reject = |rule: Rule, message: String, at: Option<CodePos>| Rejection {
        template_id: template_id.to_string(),
        source_key: source_key.clone(),
        rule,
        message,
        at,
    };
    let FoundCode { stored, origin } = found;
    let bytes = match stored {
        Stored::Bytes(bytes) => bytes,
        Stored::TooLarge(size) => {
            let max = settings.max_bytes;
            let message = format!("{size} bytes, over code.max_bytes ({max}); not read");
            return Err(reject(Rule::TooLarge, message, None));
        }
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let message = format!("code is not UTF-8 text (invalid byte at offset {offset})");
        reject(Rule::Utf8, message, None)
    })?;
    let (normalized_text, normalized) = super::Normalized::apply(&text);
    let rules = settings.rules;
    let allocator = Allocator::default();
    // Tokens only when a rule reads words.
    let words = !rules.required.is_empty() || !rules.forbidden.is_empty();
    let facts = Facts::measure(
        &normalized_text,
        &allocator,
        settings.max_syntax_tokens,
        words,
    );
    let rejected =
        |failure: &Failure| reject(failure.rule, facts.message(failure), facts.place(failure));
    for spec in RULES.iter().filter(|spec| (spec.enabled)(rules)) {
        if spec.reads_program {
            if let Some(why) = &facts.unparsed {
                return Err(rejected(why));
            }
        }
        if let Some(failure) = (spec.judge)(&facts, rules) {
            return Err(rejected(&failure));
        }
    }
    // The duration is evaluated on the program (with `parse` off, on what the parser recovered):
    // code over a bound has none and is not used, whatever the rules.
    let Some(parsed) = &facts.program else {
        let why = facts.unparsed.as_ref().map(rejected);
        return Err(why.unwrap_or_else(|| reject(Rule::Parse, "not parsed".into(), None)));
    };
    let code = facts.code;
    let duration = duration::evaluate(
        &parsed.program,
        code,
        &facts.index,
        &settings.duration_export,
    );
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
    /// The rules that read the program and were not judged: there was none.
    pub not_judged: Vec<Rule>,
    /// The code parsed without a syntax error.
    pub parsed: bool,
    /// The parser gave a program (it recovered from any syntax error): the rules that look at the
    /// program ran.
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

/// Judge every enabled rule of `rules` on `code` independently (the parse once, bounded like a
/// template's code by default), evaluate its duration export, and give `inspect` the program and
/// tokens (`None` when the parser gave up). A syntax error fails `parse` only: the other rules
/// look at what the parser recovered, so an output with one typo is not also counted as lacking
/// its entry point; without a program they are not judged ([`Verdicts::not_judged`]).
pub fn every_rule<T>(
    code: &str,
    rules: &GateConfig,
    export: &DurationExport,
    inspect: impl FnOnce(Option<(&Program<'_>, &[oxc_parser::Token])>) -> T,
) -> (Verdicts, T) {
    let allocator = Allocator::default();
    let max = crate::config::DEFAULT_CODE_MAX_SYNTAX_TOKENS;
    let facts = Facts::measure(code, &allocator, max, true);
    let mut judged = Vec::new();
    let mut not_judged = Vec::new();
    for spec in RULES.iter().filter(|spec| (spec.enabled)(rules)) {
        if spec.reads_program && facts.unparsed.is_some() {
            not_judged.push(spec.rule);
            continue;
        }
        let failure = (spec.judge)(&facts, rules);
        judged.push((spec.rule, failure.map(|f| facts.message(&f))));
    }
    let program = facts.judged_program();
    let duration =
        program.map(|p| duration::evaluate(&p.program, facts.code, &facts.index, export));
    let inspected = inspect(program.map(|p| (&p.program, &p.tokens[..])));
    (
        Verdicts {
            rules: judged,
            not_judged,
            parsed: facts.unparsed.is_none() && facts.syntax_error.is_none(),
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
    sha256: Sha256Digest,
) -> Option<TemplateCode> {
    let Stored::Bytes(bytes) = &found.stored else {
        return None;
    };
    let text = std::str::from_utf8(bytes).ok()?;
    // The same text as the gate passed: normalized as it normalizes.
    let (text, normalized) = super::Normalized::apply(text);
    let mut accepted = TemplateCode::known(
        text.trim_end(),
        sha256,
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
    fn build_and_eval_judge_each_rule_in_the_same_words() {
        let all = GateConfig {
            required: vec!["window.Remotion".into()],
            forbidden: vec!["eval".into()],
            ..GateConfig::default()
        };
        let export = DurationExport::new(crate::config::DEFAULT_DURATION_EXPORT);
        let cases = [
            "  \n\t",
            "```tsx\nexport default 1;\n```",
            "Here is the scene:\nexport default 1;",
            "const a = ;\nexport default a;",
            "const { A } = window.Remotion;\nexport const Scene = () => <A />;",
            "const A = 1;\nexport default A;",
            "const A = window.Remotion; eval('1');\nexport default A;",
        ];
        let mut seen = std::collections::HashSet::new();
        for code in cases {
            let rejection = run(code, &all).unwrap_err();
            let (verdicts, ()) = every_rule(code, &all, &export, |_| ());
            let said = verdicts
                .rules
                .iter()
                .find_map(|(rule, why)| why.clone().filter(|_| *rule == rejection.rule));
            assert_eq!(said.as_deref(), Some(rejection.message.as_str()), "{code}");
            seen.insert(rejection.rule);
        }
        // Each rule of the table has a case.
        for spec in &RULES {
            assert!(seen.contains(&spec.rule), "{}", spec.rule);
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
