//! Guards around the TypeScript parser, so that no input can crash the process.
//!
//! oxc's parser is recursive, and (in 0.146) can panic on some malformed input. Source nested
//! thousands of levels deep (a hostile catalog, a broken generated template) would overflow the stack
//! and kill the process instead of giving an error, and a parser panic would take the build down.
//! So: [`check`] takes source text and gives the offset where nesting first exceeds [`MAX_DEPTH`]
//! (counting brackets, template-literal substitutions and JSX elements, skipping strings and
//! comments; real code nests a few dozen levels); parsing runs on threads with large stacks
//! ([`PARSE_STACK`]), which covers nesting the scan does not count (long chains of unary operators,
//! say) up to many thousands of levels; and [`guarded`] turns a parser panic into an error message.
//! Found by fuzzing: `fuzz/regressions/`.

/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 500;

/// Stack size for threads that parse TypeScript.
pub const PARSE_STACK: usize = 64 << 20;

/// A rayon pool whose workers have [`PARSE_STACK`]-sized stacks: for parallel work that parses
/// (the build's gate, `eval`'s checks). Rayon's global pool has the default 2 MiB, which a
/// model output nesting a few thousand type arguments overflows.
pub fn parse_pool() -> std::result::Result<rayon::ThreadPool, rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new()
        .stack_size(PARSE_STACK)
        .build()
}

/// Run `f` on a thread with a [`PARSE_STACK`]-sized stack (reserved, not committed: only what the
/// recursion touches is ever used). Errs only when no such thread can be started.
pub fn with_parse_stack<R: Send>(f: impl FnOnce() -> R + Send) -> std::io::Result<R> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .stack_size(PARSE_STACK)
            .spawn_scoped(scope, f)?;
        match handle.join() {
            Ok(value) => Ok(value),
            // A panic in `f` is a bug; let it surface as the panic it is.
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

thread_local! {
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True while this thread runs inside [`guarded`]: a panic hook can stay quiet then, since the
/// panic is caught and reported as an error.
pub fn in_guarded() -> bool {
    GUARDED.with(|g| g.get())
}

/// Keep the process's panic hook from printing panics that `guarded` catches (they are reported
/// as errors); every other panic still reaches the hook that was installed before.
pub fn quiet_guarded_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !in_guarded() {
            previous(info);
        }
    }));
}

/// Run `f`, turning a panic into `Err(message)`.
pub fn guarded<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    GUARDED.with(|g| g.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(false));
    result.map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Code,
    /// Inside a template literal; code inside `${ }` pushes Code.
    Template,
}

/// `Err(offset)` where the count of syntax tokens first exceeds `max`: each run of identifier or
/// number characters, each string literal and each other character of code counts one (a
/// punctuator of two characters counts two, so the count is never below the parser's); comments
/// and whitespace count nothing. A linear scan with no allocation: it bounds what parsing and
/// every later stage may cost before any of it is spent.
pub fn syntax_tokens(text: &str, max: usize) -> Result<usize, usize> {
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$') || c >= 0x80;
    let (mut i, mut count) = (0, 0usize);
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
            continue;
        }
        count += 1;
        if count > max {
            return Err(i);
        }
        if c == b'"' || c == b'\'' {
            i += 1;
            while i < b.len() && b[i] != c && b[i] != b'\n' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else if word(c) {
            while i < b.len() && word(b[i]) {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    Ok(count)
}

/// `Err(offset)` where the depth first exceeds [`MAX_DEPTH`].
pub fn check(text: &str) -> Result<(), usize> {
    let b = text.as_bytes();
    let mut modes = vec![Mode::Code];
    // Per Code frame opened by `${`, the bracket depth at which its `}` closes it.
    let mut template_close: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut prev = b' '; // last significant byte in code, for telling JSX `<` from comparison
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match modes.last().copied().unwrap_or(Mode::Code) {
            Mode::Template => {
                match c {
                    b'\\' => i += 1,
                    b'`' => {
                        modes.pop();
                        prev = b'`';
                    }
                    b'$' if b.get(i + 1) == Some(&b'{') => {
                        i += 1;
                        depth += 1;
                        template_close.push(depth);
                        modes.push(Mode::Code);
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            Mode::Code => {}
        }
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
                continue;
            }
            b'"' | b'\'' => {
                i += 1;
                while i < b.len() && b[i] != c && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => modes.push(Mode::Template),
            b'(' | b'[' | b'{' => depth += 1,
            b'}' if template_close.last() == Some(&depth) => {
                template_close.pop();
                depth -= 1;
                modes.pop();
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'<' => {
                let next = b.get(i + 1).copied().unwrap_or(b' ');
                let after_value =
                    prev.is_ascii_alphanumeric() || matches!(prev, b'_' | b'$' | b')' | b']');
                if next == b'/' {
                    depth = depth.saturating_sub(1); // `</Tag>`
                } else if !after_value && (next.is_ascii_alphabetic() || next == b'>') {
                    depth += 1; // `<Tag` or `<>` in expression position
                }
            }
            b'/' if b.get(i + 1) == Some(&b'>') => depth = depth.saturating_sub(1), // `/>`
            _ => {}
        }
        if depth > MAX_DEPTH {
            return Err(i);
        }
        if !c.is_ascii_whitespace() {
            prev = c;
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_code_passes() {
        for scene in std::fs::read_dir(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/starter/templates"
        ))
        .unwrap()
        {
            let text = std::fs::read_to_string(scene.unwrap().path()).unwrap();
            assert_eq!(check(&text), Ok(()));
        }
    }

    #[test]
    fn deep_brackets_jsx_and_templates_are_caught() {
        let deep = |open: &str, close: &str, n: usize| {
            format!("const a = {}1{};", open.repeat(n), close.repeat(n))
        };
        assert_eq!(check(&deep("(", ")", MAX_DEPTH)), Ok(()));
        assert!(check(&deep("(", ")", MAX_DEPTH + 1)).is_err());
        assert!(check(&deep("[", "]", 2000)).is_err());
        assert!(check(&deep("<a>", "</a>", 2000)).is_err());
        assert!(check(&deep("`${", "}`", 2000)).is_err());
    }

    #[test]
    fn strings_comments_and_comparisons_do_not_count() {
        let many = "(".repeat(5000);
        assert_eq!(
            check(&format!(
                "const s = \"{many}\"; // {many}\n/* {many} */ const t = `{many}`;"
            )),
            Ok(())
        );
        let comparisons = "if (i<n && j<m) {}\n".repeat(2000);
        assert_eq!(check(&comparisons), Ok(()));
        let generics = "const x: Array<string> = [];\n".repeat(2000);
        assert_eq!(check(&generics), Ok(()));
    }
}
