//! The quality gate: decide, per template, whether its code may be trained on.
//!
//! Takes the bytes found for a template; gives its [`TemplateCode`] (trailing whitespace trimmed,
//! nothing else changed) or a [`Rejection`] naming the rule that failed and why. A fine-tune learns
//! whatever it is shown, so anything doubtful is rejected and reported, never repaired.

use serde::Serialize;

use super::{CodeOrigin, FoundCode, TemplateCode};

/// Why a template's code was not used (stats `sanitizerFailures`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Rejection {
    pub template_id: String,
    /// The store key (template id or dbId) or the override file the code came from.
    pub source_key: String,
    pub rule: &'static str,
    pub message: String,
}

/// Run every rule on `found`; `source_key` names where it came from for the report.
pub fn check(
    template_id: &str,
    found: FoundCode,
    source_key: String,
) -> Result<TemplateCode, Rejection> {
    let reject = |rule: &'static str, message: String| Rejection {
        template_id: template_id.to_string(),
        source_key: source_key.clone(),
        rule,
        message,
    };
    let FoundCode { bytes, origin } = found;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            return Err(reject(
                "utf8",
                format!("code is not UTF-8 text (invalid byte at offset {offset})"),
            ));
        }
    };
    if text.trim().is_empty() {
        return Err(reject("not-empty", "code is empty".into()));
    }
    Ok(TemplateCode::new(&text, origin))
}

/// The key a rejection is reported under.
pub fn source_key(origin: &CodeOrigin) -> String {
    match origin {
        CodeOrigin::Store { key } => key.clone(),
        CodeOrigin::Override { path } => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(bytes: &[u8]) -> FoundCode {
        FoundCode {
            bytes: bytes.to_vec(),
            origin: CodeOrigin::Store { key: "k".into() },
        }
    }

    #[test]
    fn trailing_whitespace_is_the_only_change() {
        let code = check("t", found(b"  const a = 1;\n\n  \t\n"), "k".into()).unwrap();
        assert_eq!(&*code.text, "  const a = 1;");
    }

    #[test]
    fn binary_garbage_is_rejected_by_the_utf8_rule() {
        let r = check("t", found(&[0x63, 0xff, 0xfe]), "k".into()).unwrap_err();
        assert_eq!(r.rule, "utf8");
        assert_eq!(
            r.message,
            "code is not UTF-8 text (invalid byte at offset 1)"
        );
    }
}
