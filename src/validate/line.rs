//! One line of a chat-format JSONL file: is it a well-formed example?
//!
//! Takes the line's bytes; gives the problems found (category and a message that says what to
//! change) and, when the line holds a usable `messages` array, the example's messages for the
//! dataset-wide checks (tokens, duplicates, leakage). Pure and allocation-light, so it can be fuzzed
//! and run in parallel.

use std::hash::{Hash, Hasher};

use serde_json::{Map, Value};

use crate::diagnostic::Category;

/// Keys a message may carry in OpenAI's chat fine-tuning format.
const MESSAGE_KEYS: [&str; 7] = [
    "role",
    "content",
    "name",
    "weight",
    "tool_calls",
    "tool_call_id",
    "function_call",
];
const TOP_LEVEL_KEYS: [&str; 4] = ["messages", "tools", "parallel_tool_calls", "functions"];

pub use crate::dataset::example::Message;

/// What one line gave.
#[derive(Debug, Default)]
pub struct LineReport {
    pub problems: Vec<(Category, String)>,
    pub messages: Option<Vec<Message>>,
}

impl LineReport {
    fn problem(&mut self, category: Category, message: impl Into<String>) {
        self.problems.push((category, message.into()));
    }
}

/// A 128-bit identity of an example (its roles and contents), for duplicate and leakage checks.
pub fn example_hash(messages: &[Message]) -> u128 {
    let (mut a, mut b) = (
        std::collections::hash_map::DefaultHasher::new(),
        std::collections::hash_map::DefaultHasher::new(),
    );
    b.write_u8(0x5a);
    for m in messages {
        m.role.hash(&mut a);
        m.content.hash(&mut a);
        m.role.hash(&mut b);
        m.content.hash(&mut b);
    }
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

pub use crate::digest::text_hash;

/// Check one line (without its newline).
pub fn check_line(bytes: &[u8]) -> LineReport {
    let mut report = LineReport::default();
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        report.problem(Category::BlankLine, "blank line; remove it");
        return report;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            report.problem(
                Category::InvalidUtf8,
                format!(
                    "invalid UTF-8 at byte {}; re-encode the file as UTF-8",
                    e.valid_up_to()
                ),
            );
            return report;
        }
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let msg = crate::location::json_reason(&e);
            let msg = msg
                .find(" at line ")
                .map_or(msg.as_str(), |i| &msg[..i])
                .to_string();
            report.problem(
                Category::InvalidJson,
                format!("not JSON: {msg} (column {})", e.column()),
            );
            return report;
        }
    };
    let Value::Object(mut object) = value else {
        report.problem(
            Category::NotAnObject,
            "each line must be a JSON object with \"messages\"",
        );
        return report;
    };
    for key in object
        .keys()
        .filter(|k| !TOP_LEVEL_KEYS.contains(&k.as_str()))
    {
        report.problem(
            Category::ExtraTopLevelKey,
            format!(
                "top-level key {key:?}; upload files should hold only \"messages\" (and \"tools\")"
            ),
        );
    }
    check_tools(&object, &mut report);
    let messages = match object.remove("messages") {
        Some(Value::Array(m)) if !m.is_empty() => m,
        Some(Value::Array(_)) => {
            report.problem(Category::MissingMessages, "\"messages\" is empty");
            return report;
        }
        Some(_) => {
            report.problem(
                Category::MissingMessages,
                "\"messages\" must be an array of messages",
            );
            return report;
        }
        None => {
            report.problem(Category::MissingMessages, "no \"messages\" key");
            return report;
        }
    };
    report.messages = Some(check_messages(messages, &mut report));
    report
}

fn check_tools(object: &Map<String, Value>, report: &mut LineReport) {
    if let Some(tools) = object.get("tools") {
        let ok = tools.as_array().is_some_and(|tools| {
            tools.iter().all(|t| {
                t.get("type").and_then(Value::as_str) == Some("function")
                    && t.get("function")
                        .and_then(|f| f.get("name"))
                        .and_then(Value::as_str)
                        .is_some()
            })
        });
        if !ok {
            report.problem(Category::InvalidTools, "\"tools\" must be an array of {\"type\": \"function\", \"function\": {\"name\": …}}");
        }
    }
    if object
        .get("parallel_tool_calls")
        .is_some_and(|p| !p.is_boolean())
    {
        report.problem(
            Category::InvalidTools,
            "\"parallel_tool_calls\" must be true or false",
        );
    }
}

fn check_messages(messages: Vec<Value>, report: &mut LineReport) -> Vec<Message> {
    let mut out = Vec::with_capacity(messages.len());
    let mut trainable = false;
    let mut previous_role: Option<String> = None;
    for (i, message) in messages.into_iter().enumerate() {
        let n = i + 1;
        let Value::Object(mut m) = message else {
            report.problem(
                Category::InvalidMessage,
                format!("message {n} is not an object"),
            );
            continue;
        };
        let role = match m.get("role").and_then(Value::as_str) {
            Some(r @ ("system" | "user" | "assistant" | "tool")) => r.to_string(),
            Some("function") => {
                report.problem(
                    Category::LegacyFunctionRole,
                    format!("message {n} uses the legacy \"function\" role; use \"tool\""),
                );
                "function".to_string()
            }
            Some(other) => {
                report.problem(
                    Category::UnknownRole,
                    format!("message {n} has role {other:?}; use system, user, assistant or tool"),
                );
                other.to_string()
            }
            None => {
                report.problem(
                    Category::UnknownRole,
                    format!("message {n} has no string \"role\""),
                );
                String::new()
            }
        };
        for key in m.keys().filter(|k| !MESSAGE_KEYS.contains(&k.as_str())) {
            report.problem(
                Category::UnknownMessageKey,
                format!("message {n} has unknown key {key:?}; remove it"),
            );
        }
        let is_assistant = role == "assistant";
        let calls_tools = m.contains_key("tool_calls") || m.contains_key("function_call");
        if let Some(calls) = m.get("tool_calls") {
            let ok = is_assistant
                && calls.as_array().is_some_and(|calls| {
                    calls.iter().all(|c| {
                        c.get("function")
                            .and_then(|f| f.get("name"))
                            .and_then(Value::as_str)
                            .is_some()
                            && c.get("function")
                                .and_then(|f| f.get("arguments"))
                                .is_some_and(Value::is_string)
                    })
                });
            if !ok {
                report.problem(Category::InvalidTools, format!("message {n}: \"tool_calls\" must be on an assistant message, each with function.name and string function.arguments"));
            }
        }
        let content = match m.remove("content") {
            Some(Value::String(s)) => s,
            None | Some(Value::Null) if is_assistant && calls_tools => String::new(),
            Some(Value::Array(_)) => {
                report.problem(Category::InvalidContent, format!("message {n}: content parts (an array) are not supported here; use a string"));
                String::new()
            }
            _ => {
                report.problem(
                    Category::InvalidContent,
                    format!("message {n} ({role}) needs a string \"content\""),
                );
                String::new()
            }
        };
        let weight_ok = match m.get("weight") {
            None => true,
            Some(w) => is_assistant && (w.as_u64() == Some(0) || w.as_u64() == Some(1)),
        };
        if !weight_ok {
            report.problem(
                Category::InvalidWeight,
                format!("message {n}: \"weight\" must be 0 or 1 and only on assistant messages"),
            );
        }
        if is_assistant && m.get("weight").and_then(Value::as_u64) != Some(0) {
            trainable = true;
        }
        if previous_role.as_deref() == Some(role.as_str()) {
            report.problem(
                Category::ConsecutiveRoles,
                format!(
                    "messages {} and {n} are both {role:?}; merge them or alternate roles",
                    n - 1
                ),
            );
        }
        previous_role = Some(role.clone());
        out.push(Message { role, content });
    }
    if !trainable {
        report.problem(
            Category::NoTrainableAssistant,
            "no assistant message to learn from (or all have weight 0)",
        );
    }
    if !out.iter().any(|m| m.role == "system") {
        report.problem(Category::MissingSystem, "no system message");
    }
    if !out.iter().any(|m| m.role == "user") {
        report.problem(Category::MissingUser, "no user message");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categories(line: &str) -> Vec<Category> {
        check_line(line.as_bytes())
            .problems
            .into_iter()
            .map(|p| p.0)
            .collect()
    }

    const GOOD: &str = r#"{"messages":[{"role":"system","content":"s"},{"role":"user","content":"u"},{"role":"assistant","content":"a"}]}"#;

    #[test]
    fn a_good_line_has_no_problems() {
        let r = check_line(GOOD.as_bytes());
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.messages.unwrap().len(), 3);
    }

    #[test]
    fn each_problem_is_categorized() {
        use Category::*;
        assert_eq!(categories("  "), [BlankLine]);
        assert_eq!(check_line(b"{\"a\":\"\xff\"}").problems[0].0, InvalidUtf8);
        assert_eq!(categories("{"), [InvalidJson]);
        assert_eq!(categories("[1]"), [NotAnObject]);
        assert_eq!(categories("{}"), [MissingMessages]);
        assert_eq!(categories(r#"{"messages":[]}"#), [MissingMessages]);
        assert_eq!(
            categories(
                r#"{"messages":[1,{"role":"user","content":"u"},{"role":"assistant","content":"a"}]}"#
            ),
            [InvalidMessage, MissingSystem]
        );
        assert_eq!(
            categories(
                r#"{"messages":[{"role":"robot","content":"x"},{"role":"assistant","content":"a"}]}"#
            ),
            [UnknownRole, MissingSystem, MissingUser]
        );
        assert_eq!(
            categories(
                r#"{"messages":[{"role":"user","content":"u"},{"role":"function","name":"f","content":"r"},{"role":"assistant","content":"a"}]}"#
            ),
            [LegacyFunctionRole, MissingSystem]
        );
        assert_eq!(
            categories(
                r#"{"messages":[{"role":"user","content":5},{"role":"assistant","content":"a"}]}"#
            ),
            [InvalidContent, MissingSystem]
        );
        assert_eq!(
            categories(
                r#"{"messages":[{"role":"user","content":"u","mood":"x"},{"role":"assistant","content":"a"}]}"#
            ),
            [UnknownMessageKey, MissingSystem]
        );
        assert_eq!(
            categories(
                r#"{"messages":[{"role":"user","content":"u","weight":1},{"role":"assistant","content":"a","weight":2}]}"#
            ),
            [InvalidWeight, InvalidWeight, MissingSystem]
        );
        assert_eq!(
            categories(
                r#"{"messages":[{"role":"user","content":"u"},{"role":"assistant","content":"a","weight":0}]}"#
            ),
            [NoTrainableAssistant, MissingSystem]
        );
        assert_eq!(
            categories(
                r#"{"tools":[{"type":"x"}],"messages":[{"role":"user","content":"u"},{"role":"assistant","content":"a"}]}"#
            ),
            [InvalidTools, MissingSystem]
        );
        assert_eq!(
            categories(
                r#"{"meta":{},"messages":[{"role":"system","content":"s"},{"role":"user","content":"u"},{"role":"assistant","content":"a"}]}"#
            ),
            [ExtraTopLevelKey]
        );
        assert_eq!(
            categories(
                r#"{"messages":[{"role":"system","content":"s"},{"role":"user","content":"u"},{"role":"user","content":"v"},{"role":"assistant","content":"a"}]}"#
            ),
            [ConsecutiveRoles]
        );
    }

    #[test]
    fn assistant_tool_calls_need_no_content() {
        let line = r#"{"messages":[{"role":"system","content":"s"},{"role":"user","content":"u"},{"role":"assistant","tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"1","content":"r"},{"role":"assistant","content":"done"}]}"#;
        assert!(categories(line).is_empty(), "{:?}", categories(line));
    }
}
