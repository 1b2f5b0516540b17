//! Text helpers shared across the tool: numbers with thousands separators, HTML escaping and the
//! one stylesheet of the HTML pages (`report --html`, `eval --html`), text made safe for a
//! terminal, and the rule for the names the tool writes into files (tags, tokenizer names).
//!
//! Takes numbers and text; gives them as a terminal, an HTML page or a file name may show them.
//! Depends on nothing else in the crate.

/// `12345` → `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `text` safe inside HTML text and attribute values, and shown as it is: a bidirectional override
/// (which would make a brief or an id read differently from what it is) or a control character
/// (ESC and the like) is written out as `\u{..}`, as the terminal output does.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' => out.push(c),
            c if unprintable(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The stylesheet of every HTML page: inline, no network.
pub const CSS: &str = "\
*{box-sizing:border-box}body{margin:0;background:#f6f7fb;color:#1f2937;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}\
main{max-width:1200px;margin:0 auto;padding:28px 24px 48px}h1{margin:0;font-size:26px}h2{font-size:18px;margin:32px 0 12px}\
.tag{background:#e0e7ff;color:#3730a3;border-radius:6px;padding:2px 10px;font-size:20px}.sub{color:#6b7280;margin:6px 0 0}\
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin-top:20px}\
.card{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:14px 16px}.card .value{font-size:24px;font-weight:700}\
.card .label{color:#6b7280;font-size:13px}table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #e5e7eb;border-radius:10px;overflow:hidden}\
th,td{padding:8px 12px;border-bottom:1px solid #f0f1f4;text-align:left;vertical-align:top}th{background:#f9fafb;font-weight:600;font-size:13px;color:#4b5563}\
table.num td:not(:first-child),table.num th:not(:first-child){text-align:right;font-variant-numeric:tabular-nums}\
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:8px}\
.grid{display:grid;grid-template-columns:1fr 1fr;gap:14px}.grid .wide{grid-column:1/-1}\
figure{margin:0;background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:8px}figure svg{display:block;height:auto}\
@media (max-width:900px){.grid{grid-template-columns:1fr}}\
.count{color:#6b7280;font-weight:400}.none{color:#6b7280}\
details.sample{background:#fff;border:1px solid #e5e7eb;border-radius:10px;margin:8px 0;padding:10px 14px}\
details.sample summary{cursor:pointer}.brief{white-space:normal;margin:10px 0}\
pre{background:#0f172a;color:#e2e8f0;border-radius:8px;padding:12px;overflow-x:auto;font-size:12.5px;line-height:1.45}\
.pill{border-radius:999px;padding:1px 8px;font-size:12px;color:#fff}.pill.train{background:#2563eb}.pill.validation{background:#ea580c}.pill.test{background:#16a34a}\
footer{margin-top:40px;color:#9ca3af;font-size:12px}\
.strip{display:flex;align-items:center;gap:6px;margin:6px 0}.strip .count{width:56px}.strip img{border:1px solid #e5e7eb;border-radius:4px}";

/// Whether `c` must not reach a terminal as it is: control characters (but line feeds and tabs),
/// and the bidirectional overrides that can make text read differently from what it is.
fn unprintable(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every character a terminal would act on written as `\u{..}`: an id or a name
/// from an input file must not move the cursor, recolour the screen or hide what follows.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(unprintable) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unprintable(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A writer for human output that escapes what [`printable`] escapes.
pub struct Printable<W>(pub W);

impl<W: std::io::Write> std::io::Write for Printable<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self.0.write_all(printable(text).as_bytes())?,
            Err(_) => self
                .0
                .write_all(printable(&String::from_utf8_lossy(buf)).as_bytes())?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The rule every name the tool writes into a file someone runs follows (tags, version folders,
/// tokenizer names): it becomes part of file names, dataset names and config values, so nothing in
/// it may be a path, a separator, a comment, a quote or a line break.
pub const NAME_RULE: &str =
    "may hold only letters, digits, '.', '_' and '-', must not start with '.', and is at most 100 characters";

/// Whether `name` follows [`NAME_RULE`]; the error names the rule.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("is empty".into());
    }
    let valid = name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        // Debug quoting escapes control and bidirectional characters once (`"v1\0x"`); running it
        // over `printable`'s escapes would double them.
        Err(format!("{name:?} {NAME_RULE}"))
    }
}

/// `name` made to follow [`NAME_RULE`]: every other character becomes `_` (for names the tool
/// derives itself, such as a folder's).
pub fn sanitized_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with('.') || out.is_empty() {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_shows_bidi_overrides_and_controls_instead_of_obeying_them() {
        assert_eq!(
            escape("a\u{202e}b\u{1b}[31mc<d>\n\te"),
            "a\\u{202e}b\\u{1b}[31mc&lt;d&gt;\n\te"
        );
        assert_eq!(escape("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
    }

    #[test]
    fn a_bad_name_is_quoted_with_its_controls_escaped_once() {
        let why = check_name("v1\0x").unwrap_err();
        assert!(why.starts_with(r#""v1\0x" may hold only"#), "{why}");
        let why = check_name("a\u{202e}b\u{1b}").unwrap_err();
        assert!(why.starts_with(r#""a\u{202e}b\u{1b}""#), "{why}");
        assert_eq!(
            printable(&why),
            why,
            "nothing left for the terminal to act on"
        );
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn terminal_controls_are_escaped_and_text_is_not() {
        assert_eq!(printable("quote-card"), "quote-card");
        assert_eq!(printable("a\tb\nc"), "a\tb\nc");
        assert_eq!(printable("x\u{1b}[31my\u{7}"), "x\\u{1b}[31my\\u{7}");
        assert_eq!(printable("a\u{202e}b\u{9b}"), "a\\u{202e}b\\u{9b}");
        let mut out = Vec::new();
        std::io::Write::write_all(&mut Printable(&mut out), "é\u{1b}".as_bytes()).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "é\\u{1b}");
    }
}
