//! Mutation: whether a `const` the duration depends on is changed after its declaration.
//!
//! Takes the parser's tokens, the code and the names of the consts the duration used; gives the
//! first change found (a mutating method call, an assignment or update through any member chain, or
//! `delete`), by reading tokens rather than the AST.

use std::collections::HashSet;

use oxc_parser::{Kind, Token};

use super::Module;

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
pub(super) fn mutated<'a>(
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
